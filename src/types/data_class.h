// DataClass: how sensitive a stream's or column's data is. Drives policy later (audit,
// masking, anonymized sharing); stored as a byte in formats, so the numbers are stable.
#pragma once

#include <optional>
#include <string_view>

#include "base/ints.h"

namespace kb {

enum class DataClass : u8 {
    public_data = 0,   // may be published
    internal = 1,      // the organisation's own, not sensitive
    confidential = 2,  // business-sensitive
    pii = 3,           // personally identifiable information (GDPR)
    phi = 4,           // protected health information (HIPAA)
    pci = 5,           // payment card data (PCI DSS)
};

inline constexpr DataClass kDataClassMax = DataClass::pci;

// "public", "internal", "confidential", "pii", "phi", "pci".
std::string_view data_class_name(DataClass data_class);
// Inverse of data_class_name, case-insensitive; nullopt for anything else.
std::optional<DataClass> parse_data_class(std::string_view name);
// Decodes a stored byte; nullopt when it names no class (corrupt or from a newer version).
std::optional<DataClass> data_class_from_byte(u8 byte);

}  // namespace kb
