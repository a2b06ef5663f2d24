// Decoding edge cases: probing, limits, DCT scaling sizes, and bad bytes (truncated, bit
// flips, random, forged headers) that must give oqvl::Error, never a crash or an exit.
#include "oqvl/data/image/image.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "test_util.h"

namespace {

using namespace oqvl::data;

std::string fixture(const std::string& name) { return oqvl::test::read_fixture("images/" + name); }

std::string error_of(const std::string& bytes, const DecodeOptions& options = {}) {
  try {
    decode_image(as_bytes(bytes), options);
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Image, ProbeReadsSizesWithoutDecoding) {
  ImageInfo jpeg = probe_image(as_bytes(fixture("grace_hopper.jpg")));
  EXPECT_EQ(jpeg.format, ImageFormat::kJpeg);
  EXPECT_EQ(jpeg.width, 512);
  EXPECT_EQ(jpeg.height, 600);
  ImageInfo png = probe_image(as_bytes(fixture("horse_rgba.png")));
  EXPECT_EQ(png.format, ImageFormat::kPng);
  EXPECT_EQ(png.width, 400);
  EXPECT_EQ(png.height, 328);
  ImageInfo lossy = probe_image(as_bytes(fixture("chelsea.webp")));
  EXPECT_EQ(lossy.format, ImageFormat::kWebp);
  EXPECT_EQ(lossy.width, 451);
  EXPECT_EQ(lossy.height, 300);
  ImageInfo lossless = probe_image(as_bytes(fixture("horse.webp")));
  EXPECT_EQ(lossless.width, 400);
  EXPECT_EQ(lossless.height, 328);
  // A truncated file still probes (only the header is needed).
  std::string head = fixture("mosaic.jpg").substr(0, 2000);
  EXPECT_EQ(probe_image(as_bytes(head)).width, 1602);
  EXPECT_THROW(probe_image(as_bytes(std::string("GIF89a........"))), oqvl::Error);
  EXPECT_THROW(probe_image(as_bytes(std::string())), oqvl::Error);
}

TEST(Image, DctScalingPicksTheLargestReductionAboveTheTarget) {
  std::string mosaic = fixture("mosaic.jpg");  // 1602 x 1602
  DecodeOptions options;
  options.min_width = options.min_height = 384;
  Image quarter = decode_image(as_bytes(mosaic), options);
  EXPECT_EQ(quarter.width, 401);  // 1/4; 1/8 would be 201 < 384
  options.min_width = options.min_height = 768;
  EXPECT_EQ(decode_image(as_bytes(mosaic), options).width, 801);
  options.min_width = 1000;  // less than 2x: full size
  EXPECT_EQ(decode_image(as_bytes(mosaic), options).width, 1602);
}

TEST(Image, ColorModesBecomeRgb) {
  Image gray = decode_image(as_bytes(fixture("moon_gray.png")));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(gray.rgb[i * 3], gray.rgb[i * 3 + 1]);
    EXPECT_EQ(gray.rgb[i * 3], gray.rgb[i * 3 + 2]);
  }
  Image bits = decode_image(as_bytes(fixture("checker_1bit.png")));
  for (std::uint8_t v : bits.rgb) EXPECT_TRUE(v == 0 || v == 255);
  // 16-bit gray clamps like Pillow's I;16 -> RGB: values 0, 97, 194, then >= 255.
  Image g16 = decode_image(as_bytes(fixture("gray16.png")));
  EXPECT_EQ(g16.rgb[0], 0);
  EXPECT_EQ(g16.rgb[3], 97);
  EXPECT_EQ(g16.rgb[6], 194);
  EXPECT_EQ(g16.rgb[9], 255);
}

TEST(Image, LimitsRejectLargeImagesBeforeDecoding) {
  DecodeOptions options;
  options.limits.max_side = 500;
  EXPECT_NE(error_of(fixture("mosaic.jpg"), options).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(error_of(fixture("astronaut.jpg"), options).find("exceeds"), std::string::npos);
  options.limits.max_side = 1 << 14;
  options.limits.max_pixels = 1000;
  EXPECT_NE(error_of(fixture("chelsea.png"), options).find("exceeds"), std::string::npos);
  // Every format's limit error says how to raise it.
  options.limits.max_side = 100;
  for (const char* name : {"chelsea.png", "astronaut.jpg", "chelsea.webp"}) {
    const std::string e = error_of(fixture(name), options);
    EXPECT_NE(e.find("exceeds the limit of 100 per side"), std::string::npos) << name << ": " << e;
    EXPECT_NE(e.find("--limit image-side=N"), std::string::npos) << name << ": " << e;
  }

  // Forged headers claiming 65000 x 65000 pixels.
  std::string jpeg = fixture("tiny.jpg");
  std::size_t sof = jpeg.find("\xFF\xC0", 2);
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = jpeg[sof + 7] = '\xFD';
  EXPECT_NE(error_of(jpeg).find("exceeds"), std::string::npos) << error_of(jpeg);
  std::string png = fixture("tiny_palette.png");
  png[17] = png[21] = '\x7F';  // IHDR width/height high bytes (the CRC is now wrong too)
  EXPECT_NE(error_of(png), "");
}

TEST(Image, TruncatedDataIsAClearError) {
  std::string jpeg = fixture("grace_hopper.jpg");
  EXPECT_EQ(error_of(jpeg.substr(0, jpeg.size() / 2)), "undecodable image (truncated JPEG data)");
  std::string progressive = fixture("rocket_progressive.jpg");
  EXPECT_EQ(error_of(progressive.substr(0, progressive.size() * 2 / 3)),
            "undecodable image (truncated JPEG data)");
  std::string png = fixture("chelsea.png");
  EXPECT_EQ(error_of(png.substr(0, png.size() / 2)), "undecodable image (truncated PNG data)");
  EXPECT_NE(error_of(fixture("chelsea.webp").substr(0, 3000)), "");
  EXPECT_NE(error_of("\xFF\xD8\xFF"), "");
  EXPECT_NE(error_of("not an image").find("not JPEG, PNG or WebP"), std::string::npos);
}

// Fuzz: every corruption either decodes to a consistent image or throws oqvl::Error.
TEST(Image, CorruptBytesNeverCrash) {
  std::mt19937 rng(1234);
  const char* names[] = {"tiny.jpg",         "rocket_progressive.jpg", "camera_gray.jpg",
                         "chelsea_cmyk.jpg", "tiny_palette.png",       "camera_la.png",
                         "coffee_small.png", "chelsea.webp",           "horse.webp"};
  int errors = 0, decoded = 0;
  for (const char* name : names) {
    const std::string original = fixture(name);
    for (int round = 0; round < 60; ++round) {
      std::string bytes = original;
      int mode = round % 3;
      if (mode == 0) {  // flip a few bits
        for (int i = 0; i < 1 + round % 5; ++i)
          bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
      } else if (mode == 1) {  // truncate
        bytes.resize(rng() % bytes.size());
      } else {  // random tail after a valid header
        std::size_t keep = std::min<std::size_t>(bytes.size(), 20 + rng() % 400);
        for (std::size_t i = keep; i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng());
      }
      try {
        Image image = decode_image(as_bytes(bytes));
        EXPECT_EQ(image.rgb.size(), static_cast<std::size_t>(image.width) * image.height * 3);
        ++decoded;
      } catch (const oqvl::Error&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 100);
  std::printf("[fuzz] %d decoded, %d rejected\n", decoded, errors);
}

TEST(Image, RandomBytesAreRejected) {
  std::mt19937 rng(99);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(rng() % 4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    // Give some of them a valid magic so the decoders see garbage, not the sniffer.
    if (i % 3 == 0 && bytes.size() > 3) bytes.replace(0, 3, "\xFF\xD8\xFF");
    if (i % 3 == 1 && bytes.size() > 8) bytes.replace(0, 8, "\x89PNG\r\n\x1A\n");
    EXPECT_THROW(decode_image(as_bytes(bytes)), oqvl::Error);
  }
}

}  // namespace
