// OpenSSL's libcrypto (Debian libssl-dev), for SHA-256 only.
#include <openssl/evp.h>
