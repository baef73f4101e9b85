// Reads cases from stdin: "n min_num_clusters max_dist" then n*n doubles (max_dist "inf" allowed);
// prints, per case, "num_clusters label0 label1 ..." from dlib::bottom_up_cluster.
#include <dlib/clustering.h>
#include <iostream>
#include <limits>
#include <string>
int main() {
  std::cout.precision(17);
  unsigned long n, mn; std::string md;
  while (std::cin >> n >> mn >> md) {
    double maxd = md == "inf" ? std::numeric_limits<double>::infinity() : std::stod(md);
    dlib::matrix<double> d(n, n);
    for (unsigned long r = 0; r < n; r++) for (unsigned long c = 0; c < n; c++) std::cin >> d(r, c);
    std::vector<unsigned long> labels;
    unsigned long k = dlib::bottom_up_cluster(d, labels, mn, maxd);
    std::cout << k;
    for (auto l : labels) std::cout << ' ' << l;
    std::cout << '\n';
  }
}
