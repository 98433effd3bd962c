# Debian packages, built by CPack from the install rules below (`./dev package`, or `cpack -G DEB`
# in any build tree). One CPack component per package:
#   kiosk -> sportello-kiosk         the kiosk, its uploader, locales, unit, user, default config
#   demo  -> sportello-demo-content  the demo content pack (unchecked facts, for trials only)
#   hub   -> sportello-hub           the hub, the admin tool, unit, user, the nginx site as an example
# Paths under the prefix are relative (CPack installs them under /usr); the unit files, /etc and
# the sysusers/tmpfiles snippets have fixed places on Debian 12, so they are absolute.
# Maintainer scripts come from cmake/deb/*.in, one set per package that has a service.

set(SPORTELLO_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/deb)
set(SPORTELLO_PKG_BUILD ${CMAKE_BINARY_DIR}/packaging)
# cpack (and `make install`) packs what is built, and never builds the whole tree (tests included)
# on its own: ./dev package builds the four programs first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# [SECTION] Per-package files: maintainer scripts, changelog, copyright
# sportello_deb_files(PKG UNIT PURGE_DIRS): writes PKG's scripts and changelog into the build tree
# and installs its copyright and changelog under /usr/share/doc/PKG.
function(sportello_deb_files pkg component unit purge_dirs)
  set(dir ${SPORTELLO_PKG_BUILD}/${pkg})
  set(PKG ${pkg})
  set(UNIT ${unit})
  set(PURGE_DIRS ${purge_dirs})
  set(VERSION ${PROJECT_VERSION})
  string(TIMESTAMP DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
  if(unit)
    foreach(script postinst prerm postrm)
      configure_file(${SPORTELLO_DEB_DIR}/${script}.in ${dir}/${script} @ONLY
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    endforeach()
  endif()
  configure_file(${SPORTELLO_DEB_DIR}/changelog.in ${dir}/changelog @ONLY)
  execute_process(COMMAND gzip -9nc ${dir}/changelog OUTPUT_FILE ${dir}/changelog.gz)
  install(FILES ${SPORTELLO_DEB_DIR}/copyright ${dir}/changelog.gz
    DESTINATION share/doc/${pkg} COMPONENT ${component})
endfunction()

sportello_deb_files(sportello-kiosk kiosk sportello-kiosk.service
  "/var/lib/sportello /var/cache/sportello /etc/sportello")
sportello_deb_files(sportello-hub hub sportello-hub.service "/var/lib/sportello-hub /etc/sportello-hub")
sportello_deb_files(sportello-demo-content demo "" "")
file(WRITE ${SPORTELLO_PKG_BUILD}/sportello-kiosk/conffiles "/etc/sportello/kiosk.conf\n")

# [SECTION] sportello-kiosk
install(TARGETS sportello sportello-uploader RUNTIME DESTINATION bin COMPONENT kiosk)
# main.cpp looks for the UI strings in /usr/share/sportello/locales first.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/locales/ DESTINATION share/sportello/locales COMPONENT kiosk
  FILES_MATCHING PATTERN "*.po")
install(FILES ${CMAKE_SOURCE_DIR}/systemd/sportello-kiosk.service DESTINATION /lib/systemd/system COMPONENT kiosk)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/sportello-kiosk.sysusers DESTINATION lib/sysusers.d
  RENAME sportello-kiosk.conf COMPONENT kiosk)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/sportello-kiosk.tmpfiles DESTINATION lib/tmpfiles.d
  RENAME sportello-kiosk.conf COMPONENT kiosk)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/kiosk.conf DESTINATION /etc/sportello COMPONENT kiosk)

# [SECTION] sportello-demo-content
# The pack is compiled when the package is made, from the tree's content/ and locales/, straight
# into the staging tree (two cpack runs at once, as in the tests, share nothing).
install(CODE "
  set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/sportello\")
  file(MAKE_DIRECTORY \"\${dest}\")
  execute_process(COMMAND \"$<TARGET_FILE:sportello-admin>\" build --content \"${CMAKE_SOURCE_DIR}/content\"
      --locales \"${CMAKE_SOURCE_DIR}/locales\" --out \"\${dest}/demo.pack\"
    OUTPUT_QUIET RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR \"sportello-admin build failed (\${status}): no demo pack\")
  endif()" COMPONENT demo)
install(FILES ${SPORTELLO_DEB_DIR}/README.demo DESTINATION share/doc/sportello-demo-content
  RENAME README COMPONENT demo)

# [SECTION] sportello-hub
install(TARGETS sportello-hub sportello-admin RUNTIME DESTINATION bin COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/sportello-hub.service DESTINATION /lib/systemd/system COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/sportello-hub.sysusers DESTINATION lib/sysusers.d
  RENAME sportello-hub.conf COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/sportello-hub.tmpfiles DESTINATION lib/tmpfiles.d
  RENAME sportello-hub.conf COMPONENT hub)
# The tilemaker profile of `sportello-admin map` (it looks in ../share/sportello/map beside itself).
install(FILES ${CMAKE_SOURCE_DIR}/assets/map/config.json ${CMAKE_SOURCE_DIR}/assets/map/process.lua
  DESTINATION share/sportello/map COMPONENT hub)
# Examples, not enabled: the operator copies a site to /etc/nginx/sites-available/ and the common
# policy to /etc/nginx/snippets/.
install(FILES ${CMAKE_SOURCE_DIR}/hub/nginx/sportello-hub.conf ${CMAKE_SOURCE_DIR}/hub/nginx/sportello-hub-common.conf
  ${CMAKE_SOURCE_DIR}/hub/nginx/sportello-hub-cluster.conf
  DESTINATION share/doc/sportello-hub/examples COMPONENT hub)

# [SECTION] CPack
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sportello)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Sportello maintainers <sportello@example.org>")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL kiosk demo hub)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://sportello.example.org")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_KIOSK_PACKAGE_NAME sportello-kiosk)
set(CPACK_DEBIAN_KIOSK_PACKAGE_DEPENDS "cage, fonts-noto-core, fonts-noto-cjk, systemd")
set(CPACK_DEBIAN_KIOSK_PACKAGE_SUGGESTS "sportello-demo-content")
set(CPACK_DEBIAN_KIOSK_DESCRIPTION "information kiosk for the desks of Italian public offices
Sportello shows procedures and services in 18 languages on a full-screen touch
screen, under the cage Wayland compositor on the first seat, and sends the
visitors' requests for a mediator to a Sportello hub. The package creates the
user sportello, its state in /var/lib/sportello, and enables
sportello-kiosk.service for the next boot. Until the hub delivers the first
signed content release, the screen says that the kiosk is not provisioned.")
set(CPACK_DEBIAN_KIOSK_PACKAGE_CONTROL_EXTRA
  "${SPORTELLO_PKG_BUILD}/sportello-kiosk/postinst;${SPORTELLO_PKG_BUILD}/sportello-kiosk/prerm;${SPORTELLO_PKG_BUILD}/sportello-kiosk/postrm;${SPORTELLO_PKG_BUILD}/sportello-kiosk/conffiles")

set(CPACK_DEBIAN_DEMO_PACKAGE_NAME sportello-demo-content)
set(CPACK_DEBIAN_DEMO_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DEMO_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEMO_PACKAGE_ENHANCES "sportello-kiosk")
set(CPACK_DEBIAN_DEMO_DESCRIPTION "demo content for the Sportello kiosk (unchecked, for trials only)
A content pack for trying the Sportello kiosk: procedures, services and UI
strings from the project's demo content. Its facts are not checked; it must
not serve the public. Point the kiosk's config at
/usr/share/sportello/demo.pack to use it.")

set(CPACK_DEBIAN_HUB_PACKAGE_NAME sportello-hub)
set(CPACK_DEBIAN_HUB_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_HUB_PACKAGE_SUGGESTS "nginx")
set(CPACK_DEBIAN_HUB_PACKAGE_RECOMMENDS "osmium-tool, osmcoastline, tilemaker")   # sportello-admin map
set(CPACK_DEBIAN_HUB_DESCRIPTION "hub server for Sportello kiosks
The hub receives the kiosks' requests for a mediator, serves the mediator and
admin consoles and the fleet status, and publishes signed content releases.
The package contains sportello-hub, the admin tool sportello-admin, and
sportello-hub.service (enabled; it starts once the hub is provisioned). An
nginx site for running it behind nginx is in the examples.")
set(CPACK_DEBIAN_HUB_PACKAGE_CONTROL_EXTRA
  "${SPORTELLO_PKG_BUILD}/sportello-hub/postinst;${SPORTELLO_PKG_BUILD}/sportello-hub/prerm;${SPORTELLO_PKG_BUILD}/sportello-hub/postrm")

include(CPack)
