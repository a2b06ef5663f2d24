#include "oqvl/data/curate/uid_list.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"

namespace fs = std::filesystem;
using oqvl::data::UidSet;

namespace {

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "filter";

nlohmann::json expected() { return nlohmann::json::parse(oqvl::read_file(kDir / "expected.json")); }

TEST(UidList, HexRoundTrip) {
  auto uid = oqvl::data::parse_uid_hex("0123456789ABCDEFfedcba9876543210");
  ASSERT_TRUE(uid);
  EXPECT_EQ(uid->hi, 0x0123456789abcdefULL);
  EXPECT_EQ(uid->lo, 0xfedcba9876543210ULL);
  EXPECT_EQ(oqvl::data::format_uid_hex(*uid), "0123456789abcdeffedcba9876543210");
  EXPECT_FALSE(oqvl::data::parse_uid_hex("0123"));
  EXPECT_FALSE(oqvl::data::parse_uid_hex("g123456789abcdeffedcba9876543210"));
}

// Every layout numpy writes for a uid list reads back as the uids Python saved.
TEST(UidList, ReadsNumpyLayouts) {
  auto want = expected();
  for (const char* name :
       {"uids_struct.npy", "uids_u8x2.npy", "uids_named_unsorted.npy", "uids_v2.npy", "uids_v3.npy"}) {
    SCOPED_TRACE(name);
    UidSet set = UidSet::load_npy(kDir / name);
    ASSERT_EQ(set.size(), want["uids"].size());
    for (std::size_t i = 0; i < set.size(); ++i) {
      EXPECT_EQ(oqvl::data::format_uid_hex(set.uids()[i]), want["uids"][i].get<std::string>());
      EXPECT_TRUE(set.contains(*oqvl::data::parse_uid_hex(want["uids"][i].get<std::string>())));
    }
    for (const auto& h : want["not_in"]) {
      EXPECT_FALSE(set.contains(*oqvl::data::parse_uid_hex(h.get<std::string>())));
    }
  }
  EXPECT_EQ(UidSet::load_npy(kDir / "uids_empty.npy").size(), 0u);
}

TEST(UidList, RejectsWrongDtypeShapeAndTruncation) {
  struct Case {
    const char* file;
    const char* message;
  };
  for (const Case& c : {Case{"bad_float.npy", "not a uid list"}, Case{"bad_shape.npy", "not a uid list"},
                        Case{"bad_bigendian.npy", "not a uid list"}, Case{"bad_fortran.npy", "Fortran"},
                        Case{"bad_truncated.npy", "body has"}, Case{"scores.csv", "not a .npy file"}}) {
    SCOPED_TRACE(c.file);
    try {
      UidSet::load_npy(kDir / c.file);
      FAIL() << "no error";
    } catch (const oqvl::Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.file), std::string::npos) << e.what();
    }
  }
}

}  // namespace
