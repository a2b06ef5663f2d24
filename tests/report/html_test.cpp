#include "oqvl/report/html.h"

#include <gtest/gtest.h>

namespace oqvl::report {
namespace {

TEST(HtmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(html_escape("a < b && c > \"d\" 'e'"), "a &lt; b &amp;&amp; c &gt; &quot;d&quot; &#39;e&#39;");
  EXPECT_EQ(html_escape("</pre><script>"), "&lt;/pre&gt;&lt;script&gt;");
}

TEST(HtmlEscape, KeepsOtherBytes) {
  EXPECT_EQ(html_escape("lr = 1e-3  # résumé\n\ttab"), "lr = 1e-3  # résumé\n\ttab");
  EXPECT_EQ(html_escape(""), "");
}

}  // namespace
}  // namespace oqvl::report
