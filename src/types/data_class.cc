#include "types/data_class.h"

#include <cctype>

namespace kb {

std::string_view data_class_name(DataClass data_class) {
    switch (data_class) {
        case DataClass::public_data:
            return "public";
        case DataClass::internal:
            return "internal";
        case DataClass::confidential:
            return "confidential";
        case DataClass::pii:
            return "pii";
        case DataClass::phi:
            return "phi";
        case DataClass::pci:
            return "pci";
    }
    return "unknown";
}

std::optional<DataClass> data_class_from_byte(u8 byte) {
    if (byte > static_cast<u8>(kDataClassMax)) {
        return std::nullopt;
    }
    return static_cast<DataClass>(byte);
}

std::optional<DataClass> parse_data_class(std::string_view name) {
    for (u8 byte = 0; byte <= static_cast<u8>(kDataClassMax); ++byte) {
        auto candidate = static_cast<DataClass>(byte);
        std::string_view candidate_name = data_class_name(candidate);
        if (candidate_name.size() != name.size()) continue;
        bool equal = true;
        for (usize i = 0; i < name.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(name[i])) != candidate_name[i]) {
                equal = false;
                break;
            }
        }
        if (equal) return candidate;
    }
    return std::nullopt;
}

}  // namespace kb
