// Debian's HDF5 (libhdf5-dev), loaded with dlopen the first time a .keras file is written or
// read rather than linked: the library pulls in some thirty others (curl, TLS, Kerberos, LDAP),
// about 6 MB resident in every process of every job, which almost never touches HDF5. Every
// call goes through the table `chdf5_load` fills in; a direct call would not link.
#ifndef CHDF5_H
#define CHDF5_H
#include <stddef.h>
#include <sys/types.h>
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#include <hdf5.h>
#endif

#define CHDF5_FUNCTIONS(X)                                                                       \
    X(H5open) X(H5Eset_auto2) X(H5Pcreate) X(H5Pclose) X(H5Pset_fapl_core) X(H5Pset_file_image) \
    X(H5Fcreate) X(H5Fopen) X(H5Fclose) X(H5Fflush) X(H5Fget_file_image) X(H5Lexists)           \
    X(H5Gcreate2) X(H5Gclose) X(H5Screate) X(H5Screate_simple) X(H5Sclose)                      \
    X(H5Sget_simple_extent_ndims) X(H5Sget_simple_extent_dims) X(H5Dcreate2) X(H5Dopen2)         \
    X(H5Dclose) X(H5Dwrite) X(H5Dread) X(H5Dget_type) X(H5Dget_space) X(H5Tcopy) X(H5Tclose)      \
    X(H5Tset_size) X(H5Tset_cset) X(H5Tget_class) X(H5Acreate_by_name) X(H5Aclose) X(H5Awrite)

/// The HDF5 functions this program calls, by their HDF5 names.
struct chdf5_api {
#define CHDF5_FIELD(name) __typeof__(name) *_Nonnull name;
    CHDF5_FUNCTIONS(CHDF5_FIELD)
#undef CHDF5_FIELD
};

/// Loads the library (once; callers serialise) and returns its table, or NULL with the reason
/// in `error`.
const struct chdf5_api *_Nullable chdf5_load(char *_Nonnull error, size_t size);

// HDF5's type ids and flags are macros that call H5open() first; Swift cannot import them,
// and they would link the library, so each is a function (valid once loaded).
hid_t chdf5_default(void);
hid_t chdf5_file_access(void);
hid_t chdf5_native_float(void);
hid_t chdf5_native_int32(void);
hid_t chdf5_f32le(void);
hid_t chdf5_i32le(void);
hid_t chdf5_c_string(void);
hid_t chdf5_all(void);
size_t chdf5_variable(void);
unsigned chdf5_truncate(void);
unsigned chdf5_read_only(void);

/// Forks a child that opens the `size` bytes at `image` as an HDF5 file and, for each of the
/// `count` paths, writes to the pipe: byte 0 if there is no such path; byte 1, the rank (one
/// byte), the dimensions (little-endian uint64 each) and the values as native floats; or, for
/// a path that cannot be read, byte 2 and a message, which ends the answer. The answer starts
/// with byte 0 (then the above), or byte 1 and a message when the file cannot be opened.
/// HDF5 1.10 can crash on a crafted file, and a crash there must not end the job: the child
/// runs only this C code (no Swift runtime, no MPI) through `api` (from `chdf5_load`), writes
/// its answer and _exits. Returns the pipe's read end and sets `child`; -1 if it cannot fork.
int chdf5_read_floats_in_child(const struct chdf5_api *_Nonnull api, const void *_Nullable image, size_t size,
                               const char *_Nullable const *_Nonnull paths, int count, pid_t *_Nonnull child);

#endif
