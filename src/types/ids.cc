#include "types/ids.h"

#include <cstdio>
#include <ctime>

namespace kb {

std::string to_string(Position position) { return std::to_string(position.value()); }

std::string to_string(Timestamp timestamp) {
    const u64 ns = timestamp.value();
    const auto seconds = static_cast<std::time_t>(ns / 1'000'000'000ULL);
    const u64 fraction = ns % 1'000'000'000ULL;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[64];
    std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  static_cast<unsigned long long>(fraction));
    return text;
}

}  // namespace kb
