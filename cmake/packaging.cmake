# Debian packages (`make package`, CPack's DEB generator), one per install component:
#   libtuntap<SOVERSION>  runtime: libtuntap.so.<SOVERSION> (and the file it points to)
#   libtuntap-dev         headers, CMake package, pkg-config file, libtuntap.a, the libtuntap.so link
#   tuntap                the tool, its manual pages and its bash completion
# Runtime dependencies come from dpkg-shlibdeps; the -dev package needs the exact runtime version
# (the .so link points into it) and the -dev packages of what a static link pulls in.
# Every Debian package carries its copyright file (Debian policy 12.5).
foreach(component_package IN ITEMS "runtime;libtuntap${TUNTAP_SOVERSION}" "dev;libtuntap-dev" "cli;tuntap")
  list(GET component_package 0 component)
  list(GET component_package 1 package)
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package}
      RENAME copyright COMPONENT ${component})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tuntap)
set(CPACK_PACKAGE_VENDOR "tuntap")
set(CPACK_PACKAGE_CONTACT "tuntap maintainers <tuntap@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev cli)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The tool links the runtime library of this very build, which no installed package provides yet.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
set(TUNTAP_DEB_VERSION "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libtuntap${TUNTAP_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "${PROJECT_DESCRIPTION} (shared library)")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libtuntap-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "${PROJECT_DESCRIPTION} (development files)")
# The static library links liburing when the io_uring engine was built.
set(TUNTAP_DEB_URING_DEV "")
if(TUNTAP_HAVE_URING)
  set(TUNTAP_DEB_URING_DEV ", liburing-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libtuntap${TUNTAP_SOVERSION} (= ${TUNTAP_DEB_VERSION}), libmnl-dev, libpcap-dev${TUNTAP_DEB_URING_DEV}")
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME tuntap)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CLI_DESCRIPTION "${PROJECT_DESCRIPTION} (command-line tool)")
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "libtuntap${TUNTAP_SOVERSION} (= ${TUNTAP_DEB_VERSION})")

include(CPack)
