#include "chdf5.h"
#include <dlfcn.h>
#include <stdio.h>

static struct chdf5_api api;
static int loaded;
static hid_t file_access, native_float, native_int32, f32le, i32le, c_string;

// A global of the library holding a type or class id, read after H5open() has set it.
static int read_id(void *library, const char *name, hid_t *id, char *error, size_t size) {
    const hid_t *global = dlsym(library, name);
    if (global == NULL) {
        snprintf(error, size, "the HDF5 library has no %s", name);
        return -1;
    }
    *id = *global;
    return 0;
}

const struct chdf5_api *chdf5_load(char *error, size_t size) {
    if (loaded) return &api;
    // Debian's serial build, then the name other distributions give it; the first's error is
    // the one reported.
    void *library = dlopen("libhdf5_serial.so.103", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(error, size, "cannot load the HDF5 library (Debian's libhdf5-dev installs it): %s", dlerror());
        library = dlopen("libhdf5.so.103", RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) return NULL;
    }
#define CHDF5_RESOLVE(name)                                                    \
    if ((api.name = dlsym(library, #name)) == NULL) {                          \
        snprintf(error, size, "the HDF5 library has no function %s", #name);  \
        return NULL;                                                           \
    }
    CHDF5_FUNCTIONS(CHDF5_RESOLVE)
#undef CHDF5_RESOLVE
    if (api.H5open() < 0) {
        snprintf(error, size, "the HDF5 library did not start");
        return NULL;
    }
    if (read_id(library, "H5P_CLS_FILE_ACCESS_ID_g", &file_access, error, size) ||
        read_id(library, "H5T_NATIVE_FLOAT_g", &native_float, error, size) ||
        read_id(library, "H5T_NATIVE_INT32_g", &native_int32, error, size) ||
        read_id(library, "H5T_IEEE_F32LE_g", &f32le, error, size) ||
        read_id(library, "H5T_STD_I32LE_g", &i32le, error, size) ||
        read_id(library, "H5T_C_S1_g", &c_string, error, size)) {
        return NULL;
    }
    api.H5Eset_auto2(H5E_DEFAULT, NULL, NULL);  // errors come back as return values, unprinted
    loaded = 1;
    return &api;
}

// The flag macros are (H5CHECK H5OPEN value), calls that would link the library; it is open
// already, so only the value is wanted.
#undef H5CHECK
#define H5CHECK
#undef H5OPEN
#define H5OPEN

hid_t chdf5_default(void) { return H5P_DEFAULT; }
hid_t chdf5_file_access(void) { return file_access; }
hid_t chdf5_native_float(void) { return native_float; }
hid_t chdf5_native_int32(void) { return native_int32; }
hid_t chdf5_f32le(void) { return f32le; }
hid_t chdf5_i32le(void) { return i32le; }
hid_t chdf5_c_string(void) { return c_string; }
hid_t chdf5_all(void) { return H5S_ALL; }
size_t chdf5_variable(void) { return H5T_VARIABLE; }
unsigned chdf5_truncate(void) { return H5F_ACC_TRUNC; }
unsigned chdf5_read_only(void) { return H5F_ACC_RDONLY; }
