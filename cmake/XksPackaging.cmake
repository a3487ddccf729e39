# The install layout (`cmake --install`, GNUInstallDirs) and the Debian package (`cpack -G DEB`,
# package xks-proxy). README "Install" and docs/operations.md describe the result.
#
# The systemd unit and /etc/xks-proxy depend on the prefix the tree is installed under, which
# is only known at install time: the .deb is made from the same build tree as a
# `cmake --install --prefix /usr/local`, with the prefix /usr. cmake/XksInstallSystemFiles.cmake
# computes those paths then, as GNUInstallDirs would for that prefix.

include(GNUInstallDirs)

set(XKS_PACKAGE_NAME xks-proxy)
# Named after the package, not the project, so that the .deb's copyright file is where Debian
# policy wants it (/usr/share/doc/<package>/copyright).
set(XKS_INSTALL_DOCDIR "${CMAKE_INSTALL_DATAROOTDIR}/doc/${XKS_PACKAGE_NAME}")
# /usr/local/lib/systemd/system and /usr/lib/systemd/system are both on systemd's unit path.
set(XKS_INSTALL_UNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit goes, relative to the install prefix (or absolute)")

set(xks_programs "")
foreach(program xks-proxy xksctl xks-conformance xks-audit xks-loadgen)
  if(TARGET ${program})
    list(APPEND xks_programs ${program})
  endif()
endforeach()
install(TARGETS ${xks_programs} RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

file(GLOB xks_docs "${PROJECT_SOURCE_DIR}/docs/*.md" "${PROJECT_SOURCE_DIR}/docs/*.png")
install(FILES README.md ${xks_docs} DESTINATION "${XKS_INSTALL_DOCDIR}")
install(FILES packaging/debian/copyright DESTINATION "${XKS_INSTALL_DOCDIR}")
# The example configurations: config/*.json and config/examples/*.json side by side (Debian wants
# no examples/examples), the vendor profiles in examples/profiles.
file(GLOB xks_examples "${PROJECT_SOURCE_DIR}/config/*.json"
     "${PROJECT_SOURCE_DIR}/config/examples/*.json")
install(FILES ${xks_examples} DESTINATION "${XKS_INSTALL_DOCDIR}/examples")
install(DIRECTORY config/profiles DESTINATION "${XKS_INSTALL_DOCDIR}/examples"
        FILES_MATCHING PATTERN "*.json")
# The load balancer example of docs/scale-out.md, when the tree has it.
file(GLOB xks_haproxy_examples "${PROJECT_SOURCE_DIR}/config/haproxy/*.cfg")
if(xks_haproxy_examples)
  install(FILES ${xks_haproxy_examples} DESTINATION "${XKS_INSTALL_DOCDIR}/examples/haproxy")
endif()

install(CODE "
  set(XKS_UNIT_TEMPLATE \"${PROJECT_SOURCE_DIR}/config/systemd/xks-proxy.service.in\")
  set(XKS_ENVIRONMENT_TEMPLATE \"${PROJECT_SOURCE_DIR}/config/systemd/environment\")
  set(XKS_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(XKS_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
  set(XKS_DOCDIR \"${XKS_INSTALL_DOCDIR}\")
  set(XKS_UNITDIR \"${XKS_INSTALL_UNITDIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/XksInstallSystemFiles.cmake\")")

set(CPACK_PACKAGE_NAME ${XKS_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# A Debian revision: the package is not native to Debian (changelog.Debian.gz, not changelog.gz).
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_PACKAGE_VENDOR "xks-hsm-proxy")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "AWS KMS External Key Store (XKS) proxy for PKCS#11 HSMs")
set(CPACK_PACKAGE_CONTACT "xks-hsm-proxy maintainers <maintainers@users.noreply.r-seed-1ca8f1b3.example>"
    CACHE STRING "The Maintainer field of the Debian package")
# Install with DESTDIR and CMAKE_INSTALL_PREFIX=/usr (CPACK_INSTALL_PREFIX, which DESTDIR mode
# uses), so the install-time paths above (/etc, the unit's ExecStart) are the package's, not
# the staging directory's nor the build's own prefix.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${PROJECT_BINARY_DIR};${PROJECT_NAME};ALL;/" "${PROJECT_BINARY_DIR};${PROJECT_NAME};debian;/")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The extended description; CPack indents it and turns the empty line into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "xks-proxy implements the AWS KMS External Key Store proxy API v1 over
HTTPS, so that AWS KMS wraps and unwraps data keys with keys that never
leave a PKCS#11 HSM. It is multi-tenant, writes a hash-chained, signed
audit log and supports crypto-shredding.

The package holds the proxy with a hardened systemd unit (not enabled,
and not started until /etc/xks-proxy/config.json exists), the operator
CLI xksctl, the audit verifier xks-audit, the conformance runner
xks-conformance and the load generator xks-loadgen.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser: postinst makes the system user. The rest is resolved from the programs' libraries.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# p11-kit resolves module names ("softhsm2") and its tools list modules; SoftHSMv2 is the
# software HSM of the examples and the quickstart.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "p11-kit, softhsm2")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "opensc")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst" "${PROJECT_SOURCE_DIR}/packaging/debian/prerm"
    "${PROJECT_SOURCE_DIR}/packaging/debian/postrm" "${PROJECT_SOURCE_DIR}/packaging/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian-only files, in a component of their own that a plain `cmake --install` leaves out
# (EXCLUDE_FROM_ALL); CPack installs it explicitly (CPACK_INSTALL_CMAKE_PROJECTS above).
set(xks_deb_dir "${PROJECT_BINARY_DIR}/packaging/debian")
configure_file(packaging/debian/changelog.in "${xks_deb_dir}/changelog" @ONLY)
find_program(XKS_GZIP gzip)
if(XKS_GZIP)
  # -n: no name or time stamp in the header, so the file is reproducible (lintian checks it).
  execute_process(COMMAND "${XKS_GZIP}" -9nkf "${xks_deb_dir}/changelog")
  file(RENAME "${xks_deb_dir}/changelog.gz" "${xks_deb_dir}/changelog.Debian.gz")
  install(FILES "${xks_deb_dir}/changelog.Debian.gz" DESTINATION "${XKS_INSTALL_DOCDIR}"
          COMPONENT debian EXCLUDE_FROM_ALL)
endif()
install(FILES packaging/debian/lintian-overrides DESTINATION
        "${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides" RENAME ${XKS_PACKAGE_NAME}
        COMPONENT debian EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
include(CPack)
