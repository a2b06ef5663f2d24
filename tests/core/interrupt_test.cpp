#include "oqvl/core/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>

namespace {

// A caught SIGTERM is polled, not fatal: throw_if_interrupted throws Interrupted carrying the
// signal; a duplicate delivered right after it (a launcher passing it on) is ignored.
TEST(Interrupt, CaughtSignalThrowsAtThePoll) {
  oqvl::catch_interrupts();
  oqvl::clear_interrupt_for_tests();
  EXPECT_FALSE(oqvl::interrupted());
  EXPECT_NO_THROW(oqvl::throw_if_interrupted("work"));
  ::raise(SIGTERM);
  ::raise(SIGTERM);  // within a second of the first: the same stop, the process lives on
  EXPECT_EQ(oqvl::interrupt_signal(), SIGTERM);
  try {
    oqvl::throw_if_interrupted("pack");
    FAIL() << "no Interrupted";
  } catch (const oqvl::Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
    EXPECT_EQ(std::string(e.what()).rfind("pack stopped", 0), 0u) << e.what();
  }
  EXPECT_EQ(oqvl::interrupted_exit_code(SIGTERM), 143);
  EXPECT_EQ(oqvl::interrupted_exit_code(SIGINT), 130);
  EXPECT_EQ(oqvl::signal_name(SIGINT), "SIGINT");
  oqvl::clear_interrupt_for_tests();
}

}  // namespace
