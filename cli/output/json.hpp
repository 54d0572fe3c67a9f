// The JSON format of render(); internal to cli/output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "output/table.hpp"

namespace nsctl::out::detail {

// render() for Format::json (see table.hpp for the shape).
std::string render_json(const std::vector<Column>& columns, const std::vector<Row>& rows,
                        const Options& options);

// True when s is an integer JSON readers take exactly (-?(0|[1-9][0-9]*), at most 20 digits).
bool is_json_number(std::string_view s);

}  // namespace nsctl::out::detail
