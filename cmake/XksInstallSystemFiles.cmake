# Runs at install time (install(CODE) in cmake/XksPackaging.cmake), with the prefix of this
# install: writes the systemd unit with that prefix's paths, and the environment file template
# into <sysconfdir>/xks-proxy. Like GNUInstallDirs, the prefix /usr (and /) puts configuration
# in /etc, /opt/<x> in /etc/opt/<x>, any other prefix P in P/etc; an absolute
# CMAKE_INSTALL_SYSCONFDIR wins. (State and logs are systemd's StateDirectory= and
# LogsDirectory=, always below /var: the unit names them itself.)

macro(xks_system_dir out relative)
  if(IS_ABSOLUTE "${relative}")
    set(${out} "${relative}")
  elseif(CMAKE_INSTALL_PREFIX MATCHES "^/(usr/?)?$")
    set(${out} "/${relative}")
  elseif(CMAKE_INSTALL_PREFIX MATCHES "^/opt/")
    set(${out} "/${relative}${CMAKE_INSTALL_PREFIX}")
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${relative}")
  endif()
endmacro()

macro(xks_prefixed out relative)
  if(IS_ABSOLUTE "${relative}")
    set(${out} "${relative}")
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${relative}")
  endif()
endmacro()

xks_system_dir(xks_sysconfdir "${XKS_SYSCONFDIR}")
xks_prefixed(XKS_INSTALL_FULL_BINDIR "${XKS_BINDIR}")
xks_prefixed(XKS_INSTALL_FULL_DOCDIR "${XKS_DOCDIR}")
xks_prefixed(xks_unitdir "${XKS_UNITDIR}")
set(XKS_INSTALL_FULL_CONFDIR "${xks_sysconfdir}/xks-proxy")

# Written straight into its place (under DESTDIR): no shared temporary file, so two installs of
# one build tree at once (the packaging tests) cannot mix each other's paths.
set(xks_unit "${xks_unitdir}/xks-proxy.service")
message(STATUS "Installing: $ENV{DESTDIR}${xks_unit}")
configure_file("${XKS_UNIT_TEMPLATE}" "$ENV{DESTDIR}${xks_unit}" @ONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${xks_unit}")

# The environment file may come to hold PINs: not world-readable (postinst gives its group to
# xks-proxy).
file(INSTALL "${XKS_ENVIRONMENT_TEMPLATE}" DESTINATION "${XKS_INSTALL_FULL_CONFDIR}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
