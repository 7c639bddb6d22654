# What an installed intermap ships beside its binaries, and the Debian package (CPack's DEB
# generator; packaging/build-deb.sh builds it). The man pages and the bash completion are made
# at build time from the programs' own --help, so they never drift from the programs.
include(GNUInstallDirs)

find_program(INTERMAP_HELP2MAN help2man)
find_program(INTERMAP_GZIP gzip REQUIRED)
set(intermap_generated ${PROJECT_BINARY_DIR}/generated/share)
set(intermap_packaging ${PROJECT_SOURCE_DIR}/packaging)

# The bash completion of intermap-cli: commands, each command's options and their word choices.
add_custom_command(
  OUTPUT ${intermap_generated}/intermap-cli.bash
  COMMAND ${CMAKE_COMMAND} -E make_directory ${intermap_generated}
  COMMAND ${intermap_packaging}/bash-completion.sh $<TARGET_FILE:intermap-cli> > ${intermap_generated}/intermap-cli.bash
  DEPENDS intermap-cli ${intermap_packaging}/bash-completion.sh ${intermap_packaging}/cli-commands.sh
  COMMENT "Generating the bash completion of intermap-cli from its --help"
  VERBATIM)
add_custom_target(intermap-bash-completion ALL DEPENDS ${intermap_generated}/intermap-cli.bash)
install(FILES ${intermap_generated}/intermap-cli.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME intermap-cli)

# Man pages (help2man reads --help and --version; gzip -n: the same bytes on every build).
if(INTERMAP_HELP2MAN)
  set(intermap_man_pages "")
  macro(intermap_man_page program name_line include_file)
    add_custom_command(
      OUTPUT ${intermap_generated}/${program}.1.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${intermap_generated}
      # The GUI's --help runs without a display (offscreen), as on a build server.
      COMMAND ${CMAKE_COMMAND} -E env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=${PROJECT_BINARY_DIR}/generated
              ${INTERMAP_HELP2MAN} --no-info --section 1 --name ${name_line}
              --include ${include_file} --output ${intermap_generated}/${program}.1 $<TARGET_FILE:${program}>
      COMMAND ${INTERMAP_GZIP} -9nf ${intermap_generated}/${program}.1
      DEPENDS ${program} ${include_file}
      COMMENT "Generating the man page ${program}(1) from its --help"
      VERBATIM)
    list(APPEND intermap_man_pages ${intermap_generated}/${program}.1.gz)
  endmacro()
  # intermap-cli's page also carries every command's own --help (a COMMANDS section).
  add_custom_command(
    OUTPUT ${intermap_generated}/intermap-cli-commands.h2m
    COMMAND ${CMAKE_COMMAND} -E make_directory ${intermap_generated}
    COMMAND ${intermap_packaging}/man-commands.sh $<TARGET_FILE:intermap-cli> > ${intermap_generated}/intermap-cli-commands.h2m
    DEPENDS intermap-cli ${intermap_packaging}/man-commands.sh ${intermap_packaging}/cli-commands.sh
    VERBATIM)
  intermap_man_page(intermap-cli "interpretability maps of Vision Transformers for medical imaging (command line)"
                    ${intermap_generated}/intermap-cli-commands.h2m)
  if(TARGET intermap)
    intermap_man_page(intermap "interpretability maps of Vision Transformers for medical imaging (desktop workbench)"
                      ${intermap_packaging}/deb/intermap.h2m)
  endif()
  add_custom_target(intermap-man-pages ALL DEPENDS ${intermap_man_pages})
  install(FILES ${intermap_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man pages (packaging/build-deb.sh installs it)")
endif()

# Documentation: README, the licence in Debian's copyright format, the changelog.
add_custom_command(
  OUTPUT ${intermap_generated}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${intermap_generated}
  COMMAND ${INTERMAP_GZIP} -9nc ${intermap_packaging}/deb/changelog > ${intermap_generated}/changelog.gz
  DEPENDS ${intermap_packaging}/deb/changelog
  VERBATIM)
add_custom_target(intermap-changelog ALL DEPENDS ${intermap_generated}/changelog.gz)
configure_file(${intermap_packaging}/deb/copyright.in ${intermap_generated}/copyright @ONLY)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${intermap_generated}/copyright ${intermap_generated}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- The Debian package ---
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME intermap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "intermap")
set(CPACK_PACKAGE_CONTACT "intermap developers <maintainers@intermap.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "interpretability maps of Vision Transformers for medical imaging")
# One string without double quotes: CPack writes it into CPackConfig.cmake and reads it again.
set(CPACK_PACKAGE_DESCRIPTION "intermap computes and compares the interpretability maps of Vision Transformer
classifiers on medical images (attention maps, attention rollout, Grad-CAM and
Chefer's transformer attribution), scores them against doctors' annotations,
checks whether they can be trusted (model-parameter randomisation) and trains
the classifiers. It reproduces the study Evaluating Visual Explanations of
Attention Maps for Transformer-based Medical Imaging (arXiv 2503.09535) and
reads timm, Hugging Face, torchvision, MONAI and DINOv2 checkpoints and DICOM
scans.

This package holds the desktop workbench (intermap) and the command-line tool
(intermap-cli), which also runs evaluations on SLURM clusters.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON) # the RelWithDebInfo binaries are ~200 MB each with their debug info
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # intermap_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not found by dpkg-shlibdeps: the BLAS alternative that makes LibTorch fast (Debian's reference
# BLAS, which libblas3 would otherwise provide, is ~30x slower: REFERENCE.md), and the Qt
# platform plugins the GUI needs to open a window (and the CLI to draw reports offscreen).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread, qt6-qpa-plugins")
# Optional: submitting evaluations and training to SLURM (sbatch, squeue), headless screenshots.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "slurm-client")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "xvfb, xauth")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
