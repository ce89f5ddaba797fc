// What the shared library exports: the library is built with hidden symbols, and only declarations
// marked TUNTAP_API (the public classes and functions of these headers) are visible to programs.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define TUNTAP_API __attribute__((visibility("default")))
#else
#define TUNTAP_API
#endif

// For the definitions, in src/, of classes nested in exported ones (implementation pointers):
// nested classes take their enclosing class's visibility unless told otherwise.
#if defined(__GNUC__) || defined(__clang__)
#define TUNTAP_LOCAL __attribute__((visibility("hidden")))
#else
#define TUNTAP_LOCAL
#endif
