# Per-folder include trees: a library makes only its own folder's headers visible, so a target
# compiles only against the headers of the libraries it links (PUBLIC links pass them on).
#
# Every #include in the tree is written from the project root ("proxy/config/config.h"). Instead
# of exporting the whole root, each folder gets a tree of its own under the build directory,
#   <build>/include/<folder with / as _>/<folder>  ->  <source>/<folder>  (a symbolic link),
# and that tree's root is the include directory. A forbidden or missing edge then fails to
# compile, next to the layering test (tests/layering), which checks the same rules from the
# #include lines.

# xks_folder_include_root(<out_var> [<folder>]): the include root of <folder> (relative to the
# project root; default: the current source folder), creating its link once.
function(xks_folder_include_root out_var)
  if(ARGC GREATER 1)
    set(folder "${ARGV1}")
  else()
    file(RELATIVE_PATH folder "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  string(REPLACE "/" "_" tree_name "${folder}")
  set(root "${PROJECT_BINARY_DIR}/include/${tree_name}")
  set(link "${root}/${folder}")
  set(target "${PROJECT_SOURCE_DIR}/${folder}")
  set(current "")
  if(IS_SYMLINK "${link}")
    file(READ_SYMLINK "${link}" current)
  endif()
  if(NOT current STREQUAL target)  # new, or the source tree moved
    get_filename_component(parent "${link}" DIRECTORY)
    file(MAKE_DIRECTORY "${parent}")
    file(REMOVE "${link}")
    file(CREATE_LINK "${target}" "${link}" SYMBOLIC)
  endif()
  set(${out_var} "${root}" PARENT_SCOPE)
endfunction()

# xks_public_headers(<target> [<folder>]): <target> and everything linking it see the headers of
# <folder> (default: the current source folder).
function(xks_public_headers target)
  xks_folder_include_root(root ${ARGN})
  target_include_directories(${target} PUBLIC "${root}")
endfunction()

# xks_private_headers(<target> [<folder>]): only <target> sees them (tests, programs).
function(xks_private_headers target)
  xks_folder_include_root(root ${ARGN})
  target_include_directories(${target} PRIVATE "${root}")
endfunction()
