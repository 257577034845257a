#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
#include <hdf5.h>

// HDF5's type ids and flags are macros that call H5open() first; Swift cannot import them,
// so each is wrapped in a function.
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_c_string(void) { return H5T_C_S1; }
static inline hid_t chdf5_all(void) { return H5S_ALL; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }
static inline unsigned chdf5_truncate(void) { return H5F_ACC_TRUNC; }
static inline void chdf5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
