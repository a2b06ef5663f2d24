// Python literals as pandas writes them into benchmark TSVs (MathVista's `choices` and
// `skills` columns hold str() of a Python list).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oqvl::eval {

// A Python list literal of strings/numbers ("['3/11', \"it's\", 5]"): the elements as text
// (strings unescaped: \\ \' \" \n \t \r \0 \xhh \uhhhh \Uhhhhhhhh; numbers, None, True as
// written). Throws oqvl::Error on anything else.
std::vector<std::string> parse_python_list(std::string_view text);

}  // namespace oqvl::eval
