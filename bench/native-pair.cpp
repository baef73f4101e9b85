// native-pair: native dlib's face descriptor timed on demand, so that the bench can alternate rounds of ours and
// dlib's (a paired ratio that machine-speed drift during a run cannot skew). Built by bench/native.ts with
// dlib-bench's flags and network definitions (../shared/tools/dlib-bench/nets.h).
//   native-pair RESNET_DAT CHIP150.png      then on stdin: a count N per line; "0" or end of input quits
// After loading (and one untimed forward) it prints "ready"; for each N it runs N forwards of one chip, as
// dlib-bench's resnet_q8_descriptor_1_chip does (net(std::vector of one chip)), and prints one line: the N
// process-CPU times in ms, space-separated.
#include "nets.h"
#include <dlib/image_io.h>
#include <time.h>
#include <iostream>
#include <string>
#include <vector>

static double cpu_ms()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv)
{
    if (argc != 3) { std::cerr << "usage: native-pair RESNET_DAT CHIP150.png\n"; return 2; }
    dlibref::resnet_affine net;
    dlib::deserialize(argv[1]) >> net;
    dlib::matrix<dlib::rgb_pixel> chip;
    dlib::load_image(chip, argv[2]);
    std::vector<dlib::matrix<dlib::rgb_pixel>> one(1, chip);
    net(one);
    std::cout << "ready" << std::endl;
    long n;
    while (std::cin >> n && n > 0)
    {
        std::string line;
        for (long i = 0; i < n; ++i)
        {
            const double c0 = cpu_ms();
            net(one);
            line += (i ? " " : "") + std::to_string(cpu_ms() - c0);
        }
        std::cout << line << std::endl;
    }
    return 0;
}
