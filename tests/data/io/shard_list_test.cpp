// Shard specs: brace expansion as the braceexpand package does it (the results below are
// braceexpand 0.1.7's), globs, @lists, and clear errors for specs that match nothing.
#include "oqvl/data/io/shard_list.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "oqvl/core/error.h"
#include "test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;
using V = std::vector<std::string>;

// "@" + path, spelled so g++ 12 does not warn (a -Wrestrict false positive on operator+).
std::string at_list(const std::string& path) {
  std::string spec = "@";
  spec += path;
  return spec;
}

TEST(ShardList, BraceExpansion) {
  EXPECT_EQ(expand_braces("data/{00000..00003}.tar"),
            (V{"data/00000.tar", "data/00001.tar", "data/00002.tar", "data/00003.tar"}));
  EXPECT_EQ(expand_braces("{8..11}"), (V{"8", "9", "10", "11"}));
  EXPECT_EQ(expand_braces("{08..11}"), (V{"08", "09", "10", "11"}));
  EXPECT_EQ(expand_braces("{3..1}"), (V{"3", "2", "1"}));
  EXPECT_EQ(expand_braces("{0..10..5}"), (V{"0", "5", "10"}));
  EXPECT_EQ(expand_braces("{a..c}"), (V{"a", "b", "c"}));
  EXPECT_EQ(expand_braces("{a,b}/{1..2}.tar"), (V{"a/1.tar", "a/2.tar", "b/1.tar", "b/2.tar"}));
  EXPECT_EQ(expand_braces("x{a,{1..2},}y"), (V{"xay", "x1y", "x2y", "xy"}));
  EXPECT_EQ(expand_braces("plain.tar"), (V{"plain.tar"}));
  EXPECT_EQ(expand_braces("{}"), (V{"{}"}));
  EXPECT_EQ(expand_braces("{abc}"), (V{"{abc}"}));
  EXPECT_EQ(expand_braces("{-01..2}"), (V{"-01", "000", "001", "002"}));
  EXPECT_EQ(expand_braces("{1..-1}"), (V{"1", "0", "-1"}));
  EXPECT_THROW(expand_braces("a{b"), Error);
  EXPECT_THROW(expand_braces("a}b"), Error);
  EXPECT_EQ(expand_braces("{00000..01302}.tar").size(), 1303u);
  EXPECT_EQ(expand_braces("{00000..01302}.tar").back(), "01302.tar");
  EXPECT_THROW(expand_braces("{0..99999999999}"), Error);
}

struct ShardDir : oqvl::test::TempDir {
  ShardDir() : TempDir("oqvl_shardlist") {
    for (const char* n : {"00000.tar", "00001.tar", "00002.tar", "other.txt"}) {
      std::ofstream(path / n) << "x";
    }
  }
  std::string operator/(const std::string& s) const { return (path / s).string(); }
};

TEST(ShardList, FilesGlobsBracesAndLists) {
  ShardDir d;
  EXPECT_EQ(expand_shard_specs({d / "00001.tar"}), (V{d / "00001.tar"}));
  EXPECT_EQ(expand_shard_specs({d / "*.tar"}), (V{d / "00000.tar", d / "00001.tar", d / "00002.tar"}));
  EXPECT_EQ(expand_shard_specs({d / "{00001..00002}.tar", d / "0000[0].tar"}),
            (V{d / "00001.tar", d / "00002.tar", d / "00000.tar"}));
  std::ofstream(d.path / "list.txt") << "# shards\n"
                                     << d / "00002.tar"
                                     << "\n\n  " << d / "{00000..00001}.tar"
                                     << "\n";
  EXPECT_EQ(expand_shard_specs({at_list(d / "list.txt")}),
            (V{d / "00002.tar", d / "00000.tar", d / "00001.tar"}));
  EXPECT_EQ(expand_shard_specs({"-"}), (V{"-"}));
}

TEST(ShardList, SpecsMatchingNothingAreErrors) {
  ShardDir d;
  auto message = [](const std::string& spec) {
    try {
      expand_shard_specs({spec});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(d / "missing.tar").find("does not exist"), std::string::npos);
  EXPECT_NE(message(d / "{00000..00005}.tar").find("00003.tar' does not exist (from spec"),
            std::string::npos);
  EXPECT_NE(message(d / "*.zip").find("matches no file"), std::string::npos);
  EXPECT_NE(message(at_list(d / "nolist.txt")).find("cannot read shard list"), std::string::npos);
}

}  // namespace
}  // namespace oqvl::data
