/**
 * The network definitions shipped in `models/*.txt`, embedded as strings so they work in browsers and Workers
 * (no file access). GENERATED from models/*.txt: keep identical (test/netdef.test.ts checks it).
 */
import { parseNetDefinition } from "./netdef.js";
import type { NetType } from "./nettype.js";
import { KNOWN_NET_TYPES_JSON } from "./known-nets-parsed.js";

export { enumerateLayers, layerSequence } from "./netdef.js";

export type NetTask = "descriptor" | "classifier" | "detector";

export interface KnownNet {
  /** File stem in models/ (models/<id>.txt), also the model's usual file name without .dat. */
  id: string;
  title: string;
  /** dlib C++ definition text (exactly the content of models/<id>.txt). */
  text: string;
  tasks: NetTask[];
}

const DLIB_FACE_RECOGNITION_RESNET_MODEL_V1_TXT = `// dlib_face_recognition_resnet_model_v1: the network of dlib's examples/dnn_face_recognition_ex.cpp
// (dlib 19.24; example programs are public domain), inference form (affine layers), 150x150 RGB face chips,
// 128-d descriptor (loss_metric). Weight files stored in training form (bn_con) load into this type too:
// the reader converts bn_con to affine like dlib does.

template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual = add_prev1<block<N,BN,1,tag1<SUBNET>>>;

template <template <int,template<typename>class,int,typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,BN,2,tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET> 
using block  = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>;

template <int N, typename SUBNET> using ares      = relu<residual<block,N,affine,SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block,N,affine,SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256,SUBNET>;
template <typename SUBNET> using alevel1 = ares<256,ares<256,ares_down<256,SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128,ares<128,ares_down<128,SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64,ares<64,ares<64,ares_down<64,SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32,ares<32,ares<32,SUBNET>>>;

using anet_type = loss_metric<fc_no_bias<128,avg_pool_everything<
                            alevel0<
                            alevel1<
                            alevel2<
                            alevel3<
                            alevel4<
                            max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,
                            input_rgb_image_sized<150>
                            >>>>>>>>>>>>;
`;

const FACE_RECOGNITION_DENSENET_MODEL_V1_TXT = `// BAREL DenseNet face descriptor face_recognition_densenet_model_v1.dat (Cydral; dlib-models, CC0 1.0;
// github.com/Cydral/BAREL, MIT license): the network definitions of BAREL's
// sources/FFssl_faces_densenet_model.cpp. The model file is stored in training form (train_std, bn_con);
// feats_std is its inference form (affine), 150x150 RGB face chips, 128-d descriptor (not normalized).

namespace densenet
{
    using namespace dlib;
    // ACT can be any activation layer, BN must be bn_con or affine layer and k is the growth rate
    template <template <typename> class ACT, template <typename> class BN, long k>
    struct def {
        template <long num_filters, long ks, int s, typename SUBNET>
        using conp = add_layer<con_<num_filters, ks, ks, s, s, ks / 2, ks / 2>, SUBNET>;

        template <typename INPUT>
        using stem = add_layer<max_pool_<3, 3, 2, 2, 1, 1>, ACT<BN<conp<2 * k, 7, 2, INPUT>>>>;

        template <long num_filters, typename SUBNET>
        using transition = avg_pool<2, 2, 2, 2, con<num_filters, 1, 1, 1, 1, ACT<BN<SUBNET>>>>;

        template <typename SUBNET>
        using dense_layer = concat2<tag1, tag2,
            tag2<conp<k, 3, 1,
            ACT<BN<conp<4 * k, 1, 1,
            ACT<BN<tag1<SUBNET>>>>>>>>>;

        template <size_t n4, size_t n3, size_t n2, size_t n1, typename INPUT>
        using backbone = ACT<BN<
            repeat<n4, dense_layer, transition<k* (2 + n1 + 2 * n2 + 4 * n3) / 8,
            repeat<n3, dense_layer, transition<k* (2 + n1 + 2 * n2) / 4,
            repeat<n2, dense_layer, transition<k* (2 + n1) / 2,
            repeat<n1, dense_layer, stem<INPUT>>>>>>>>>>;
    };
}

namespace model {
    template <typename SUBNET> using ssl_projector = fc<128, relu<bn_fc<fc<512, avg_pool_everything<SUBNET>>>>>;
    template <typename SUBNET> using metric_projector = fc_no_bias<128, avg_pool_everything<SUBNET>>;
    using train_ssl = loss_barlow_twins<ssl_projector<densenet::def<relu, bn_con, 16>::backbone<8, 12, 6, 3, input_rgb_image_pair>>>;
    using feats_ssl = loss_metric<ssl_projector<densenet::def<relu, affine, 16>::backbone<8, 12, 6, 3, input_rgb_image>>>;
    using train_std = loss_metric<metric_projector<densenet::def<relu, bn_con, 16>::backbone<8, 12, 6, 3, input_rgb_image>>>;
    using feats_std = loss_metric<metric_projector<densenet::def<relu, affine, 16>::backbone<8, 12, 6, 3, input_rgb_image>>>;
}
`;

const DNN_GENDER_CLASSIFIER_V1_TXT = `// dlib-models' gender classifier dnn_gender_classifier_v1.dat (Cydral, CC0 1.0): the network of
// dlib-models gender-classifier/dnn_gender_classifier_v1_ex.cpp, 32x32 RGB face chips
// (get_face_chip_details(shape, 32)), labels 0 = female, 1 = male.
// The block below is the example's text. Its agender_type uses dlib's dropout layers, which dlib applies
// at random even when only predicting, so this file ends with the deterministic inference form that
// dlib provides for this: multiply layers (multiply_ reads a stored dropout_ as val = 1 - drop_rate = 0.5).
// agender_type_inference is the type the golden outputs were computed with.

// This block of statements defines the network as proposed for the CNN Model I.
// We however removed the "dropout" regularization on the activations of convolutional layers.
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, stride, stride, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using res_ = relu<block<N, bn_con, 1, SUBNET>>;
template <int N, typename SUBNET> using ares_ = relu<block<N, affine, 1, SUBNET>>;

template <typename SUBNET> using alevel1 = avg_pool<2, 2, 2, 2, ares_<64, SUBNET>>;
template <typename SUBNET> using alevel2 = avg_pool<2, 2, 2, 2, ares_<32, SUBNET>>;

using agender_type = loss_multiclass_log<fc<2, dropout<relu<fc<16, dropout<alevel1<alevel2< input_rgb_image_sized<32>>>>>>>>>;

// Inference form (not in the example): dropout replaced by multiply.
using agender_type_inference = loss_multiclass_log<fc<2, multiply<relu<fc<16, multiply<alevel1<alevel2< input_rgb_image_sized<32>>>>>>>>>;
`;

const TAGUCHI_GENDER_RESNET34_TXT = `// Taguchi's ResNet-34 gender classifier (taguchi_model_gender_classifier.dnn, github.com/TaguchiModels/dlibModels,
// MIT license): the network of its GenderModelClassifier.cpp, which is dlib's examples/dnn_imagenet_ex.cpp
// ResNet-34 with fc<2> and 150x150 input; inference form (affine). Labels: 0 = female, 1 = male.

template <template <int, template<typename>class, int, typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;

template <template <int, template<typename>class, int, typename> class block, int N, template<typename>class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;

template <typename SUBNET> using alevel1 = ares<512, ares<512, ares_down<512, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<256, ares<256, ares<256, ares<256, ares<256, ares_down<256, SUBNET>>>>>>;
template <typename SUBNET> using alevel3 = ares<128, ares<128, ares<128, ares_down<128, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<64, ares<64, ares<64, SUBNET>>>;

using anet_type = loss_multiclass_log <fc<2, avg_pool_everything<
	alevel1<
	alevel2<
	alevel3<
	alevel4<
	max_pool<3, 3, 2, 2, relu<affine<con<64, 7, 7, 2, 2,
	input_rgb_image_sized<150>
	>>>>>>>>>>>;
`;

const MMOD_HUMAN_FACE_DETECTOR_TXT = `// dlib's CNN (MMOD) face detector mmod_human_face_detector.dat: the network of dlib's
// examples/dnn_mmod_face_detection_ex.cpp (dlib 19.24; example programs are public domain).

template <long num_filters, typename SUBNET> using con5d = con<num_filters,5,5,2,2,SUBNET>;
template <long num_filters, typename SUBNET> using con5  = con<num_filters,5,5,1,1,SUBNET>;

template <typename SUBNET> using downsampler  = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16,SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5  = relu<affine<con5<45,SUBNET>>>;

using net_type = loss_mmod<con<1,9,9,1,1,rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;
`;

/** All shipped definitions. */
export const KNOWN_NETS: readonly KnownNet[] = [
  { id: "dlib_face_recognition_resnet_model_v1", title: "dlib ResNet face descriptor (dlib_face_recognition_resnet_model_v1.dat, 150x150, 128-d)", text: DLIB_FACE_RECOGNITION_RESNET_MODEL_V1_TXT, tasks: ["descriptor"] },
  { id: "face_recognition_densenet_model_v1", title: "BAREL DenseNet face descriptor (face_recognition_densenet_model_v1.dat, 150x150, 128-d)", text: FACE_RECOGNITION_DENSENET_MODEL_V1_TXT, tasks: ["descriptor"] },
  { id: "dnn_gender_classifier_v1", title: "dlib-models gender classifier v1 (dnn_gender_classifier_v1.dat, 32x32; 0 = female, 1 = male)", text: DNN_GENDER_CLASSIFIER_V1_TXT, tasks: ["classifier"] },
  { id: "taguchi_gender_resnet34", title: "Taguchi ResNet-34 gender classifier (150x150; 0 = female, 1 = male)", text: TAGUCHI_GENDER_RESNET34_TXT, tasks: ["classifier"] },
  { id: "mmod_human_face_detector", title: "dlib CNN (MMOD) face detector (mmod_human_face_detector.dat)", text: MMOD_HUMAN_FACE_DETECTOR_TXT, tasks: ["detector"] },
];

/** The shipped definition with this id, or undefined. */
export function getKnownNet(id: string): KnownNet | undefined {
  return KNOWN_NETS.find((n) => n.id === id);
}

/**
 * Parses a shipped definition (its default alias: see parseNetDefinition). Throws a plain Error for an
 * unknown id.
 */
export function parseKnownNet(id: string): NetType {
  const k = getKnownNet(id);
  if (!k) throw new Error(`unknown network id '${id}' (known: ${KNOWN_NETS.map((n) => n.id).join(", ")})`);
  // already parsed (known-nets-parsed.ts), when made from this very text
  const pre = KNOWN_NET_TYPES_JSON[id];
  if (pre !== undefined) {
    const t = JSON.parse(pre) as NetType;
    if (t.source === k.text) return t;
  }
  return parseNetDefinition(k.text, { source: `models/${id}.txt` });
}
