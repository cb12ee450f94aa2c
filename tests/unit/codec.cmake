# Unit tests of the message codec (plugin/codec).
gatelink_test(codec_tests
  SOURCES
    unit/codec_samples.cpp
    unit/codec_roundtrip_test.cpp
    unit/codec_malformed_test.cpp
    unit/codec_walk_test.cpp
    unit/codec_frame_decoder_test.cpp
  LIBS gatelink_codec
  LABELS unit)
