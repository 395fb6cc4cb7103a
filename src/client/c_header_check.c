/* Compiled as C (not C++): proves include/kimberlite/kimberlite.h is a C header. */
#include "kimberlite/kimberlite.h"

int kmb_c_header_check(void);

int kmb_c_header_check(void) {
    kmb_options options = {0};
    kmb_value value = {0};
    value.kind = KMB_TEXT;
    options.server = "127.0.0.1:5432";
    return (int)value.kind + (options.server != NULL ? 0 : 1);
}
