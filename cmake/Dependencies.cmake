# System dependencies (Debian packages, installed by scripts/setup.sh) and libtorch from the
# pinned torch wheel. Everything not needed by the data tools is optional.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig)

# The Python that the tests, tools/ and bench/ scripts and the torch lookup use. OQVL_PYTHON
# (cache) empty means: $ENV{OQVL_PYTHON}, else <repo>/.venv/bin/python (scripts/setup.sh makes
# it: Debian's own Python refuses pip installs, PEP 668), else python3 on PATH. Decided at
# configure time: reconfigure after creating the .venv.
set(OQVL_PYTHON "" CACHE FILEPATH
    "Python for tests, tools and the torch lookup (empty: $OQVL_PYTHON, else .venv/bin/python, else python3)")
if(OQVL_PYTHON)
  set(OQVL_PYTHON_EXE ${OQVL_PYTHON})
elseif(NOT "$ENV{OQVL_PYTHON}" STREQUAL "")
  set(OQVL_PYTHON_EXE $ENV{OQVL_PYTHON})
elseif(EXISTS ${PROJECT_SOURCE_DIR}/.venv/bin/python)
  set(OQVL_PYTHON_EXE ${PROJECT_SOURCE_DIR}/.venv/bin/python)
else()
  find_program(OQVL_PATH_PYTHON3 python3)
  set(OQVL_PYTHON_EXE ${OQVL_PATH_PYTHON3})
endif()
message(STATUS "oqvl: Python ${OQVL_PYTHON_EXE}")

# libwebp is absent on some GPU machines: WebP decoding is optional.
set(OQVL_HAVE_WEBP OFF)
if(PkgConfig_FOUND)
  pkg_check_modules(WEBP QUIET libwebp)
  if(WEBP_FOUND)
    set(OQVL_HAVE_WEBP ON)
  endif()
endif()
message(STATUS "oqvl: WebP decoding ${OQVL_HAVE_WEBP}")

if(OQVL_WITH_TORCH)
  # libtorch comes from the torch wheel: ask the Python that has it where its CMake files are.
  if(NOT Torch_DIR)
    # -DPython3_EXECUTABLE=... (scripts/build.sh passes it) wins; else OQVL_PYTHON's choice.
    if(NOT Python3_EXECUTABLE AND OQVL_PYTHON_EXE)
      set(Python3_EXECUTABLE ${OQVL_PYTHON_EXE})
    endif()
    find_package(Python3 COMPONENTS Interpreter)
    if(Python3_FOUND)
      execute_process(
        COMMAND ${Python3_EXECUTABLE} -c "import torch; print(torch.utils.cmake_prefix_path)"
        OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    endif()
    if(NOT _torch_prefix)
      message(FATAL_ERROR "OQVL_WITH_TORCH=ON but ${Python3_EXECUTABLE} cannot import torch: run "
                          "scripts/setup.sh (it installs torch into .venv), set OQVL_PYTHON, or "
                          "configure with -DOQVL_WITH_TORCH=OFF for the data tools only")
    endif()
    list(APPEND CMAKE_PREFIX_PATH ${_torch_prefix})
  endif()
  # Torch's CMake config probes the installed GPUs with a test CUDA program unless the target
  # architectures are given; that probe cannot run on GPU-less build machines. H100/H200 = 9.0.
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST} AND NOT TORCH_CUDA_ARCH_LIST)
    set(TORCH_CUDA_ARCH_LIST "9.0" CACHE STRING "CUDA architectures for libtorch extensions")
  endif()
  find_package(Torch REQUIRED)
  message(STATUS "oqvl: libtorch ${Torch_VERSION} from ${Torch_DIR}")
  # Multi-process training runs on libtorch's own c10d ProcessGroupGloo (the wheel exports it),
  # but its header includes gloo headers the wheel does not ship: Debian's libgloo-dev provides
  # them (headers only: libtorch carries gloo itself; nothing links Debian's libgloo). Without
  # them oqvl trains in one process only.
  find_path(GLOO_INCLUDE_DIR gloo/algorithm.h)
  set(OQVL_HAVE_GLOO OFF)
  if(GLOO_INCLUDE_DIR)
    set(OQVL_HAVE_GLOO ON)
  endif()
  message(STATUS "oqvl: Gloo headers (multi-process training) ${OQVL_HAVE_GLOO}")
  # GPU ranks: libtorch_cuda exports ProcessGroupNCCL; its header needs nccl.h, which the
  # nvidia-nccl wheel (a dependency of the CUDA torch wheel) ships beside torch.
  set(OQVL_HAVE_NCCL OFF)
  if(OQVL_HAVE_GLOO AND TORCH_CUDA_LIBRARIES)
    get_filename_component(_site "${Torch_DIR}/../../../.." ABSOLUTE)
    find_path(NCCL_INCLUDE_DIR nccl.h HINTS "${_site}/nvidia/nccl/include" "${_site}/nvidia/cu13/include")
    if(NCCL_INCLUDE_DIR)
      set(OQVL_HAVE_NCCL ON)
    endif()
  endif()
  message(STATUS "oqvl: NCCL (GPU ranks) ${OQVL_HAVE_NCCL} ${NCCL_INCLUDE_DIR}")
endif()

# xxHash (XXH3 for dedup by image bytes) is absent on the GPU machines: optional, with a
# fallback hash in src/oqvl/data/curate/content_hash.cpp (values then differ between builds).
option(OQVL_WITH_XXHASH "Use xxHash when it is installed (OFF tests the fallback hash)" ON)
set(OQVL_HAVE_XXHASH OFF)
find_path(XXHASH_INCLUDE_DIR xxhash.h)
find_library(XXHASH_LIBRARY NAMES xxhash)
if(OQVL_WITH_XXHASH AND XXHASH_INCLUDE_DIR AND XXHASH_LIBRARY)
  set(OQVL_HAVE_XXHASH ON)
endif()
message(STATUS "oqvl: xxHash ${OQVL_HAVE_XXHASH}")

# SentencePiece (SigLIP's text tokenizer for `oqvl score clip`): optional, Debian's
# libsentencepiece-dev; without it the tokenizer throws "built without sentencepiece".
option(OQVL_WITH_SENTENCEPIECE "Use libsentencepiece when it is installed" ON)
set(OQVL_HAVE_SENTENCEPIECE OFF)
find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h)
find_library(SENTENCEPIECE_LIBRARY NAMES sentencepiece)
if(OQVL_WITH_SENTENCEPIECE AND SENTENCEPIECE_INCLUDE_DIR AND SENTENCEPIECE_LIBRARY)
  set(OQVL_HAVE_SENTENCEPIECE ON)
endif()
message(STATUS "oqvl: SentencePiece ${OQVL_HAVE_SENTENCEPIECE}")

# libcurl (Debian's libcurl4-openssl-dev) for `oqvl data download` only: optional; without it
# the command says it was not built with it (src/oqvl/data/download/http_fetch.cpp).
option(OQVL_WITH_CURL "Use libcurl when it is installed (oqvl data download)" ON)
set(OQVL_HAVE_CURL OFF)
if(OQVL_WITH_CURL)
  find_package(CURL QUIET)
  if(CURL_FOUND)
    set(OQVL_HAVE_CURL ON)
  endif()
endif()
message(STATUS "oqvl: libcurl ${OQVL_HAVE_CURL}")

# Apache Arrow C++ (Parquet) from the pyarrow wheel, found through the project's Python as
# libtorch is: the wheel ships libarrow/libparquet with their headers. Optional; without it
# Parquet inputs and outputs say they are not built (src/oqvl/data/io/parquet_table.cpp).
option(OQVL_WITH_ARROW "Use Apache Arrow C++ from the project's Python's pyarrow (Parquet)" ON)
set(OQVL_HAVE_ARROW OFF)
if(OQVL_WITH_ARROW AND OQVL_PYTHON_EXE)
  execute_process(
    COMMAND ${OQVL_PYTHON_EXE} -c "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0])"
    OUTPUT_VARIABLE _pyarrow OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _pyarrow_rc)
  if(_pyarrow_rc EQUAL 0)
    string(REPLACE "\n" ";" _pyarrow "${_pyarrow}")
    list(GET _pyarrow 0 ARROW_INCLUDE_DIR)
    list(GET _pyarrow 1 _pyarrow_libs)
    # The wheel's libraries carry their ABI version only (libarrow.so.2600): link them by path.
    file(GLOB _arrow_libs ${_pyarrow_libs}/libarrow.so.[0-9]*)
    file(GLOB _parquet_libs ${_pyarrow_libs}/libparquet.so.[0-9]*)
    if(_arrow_libs AND _parquet_libs AND EXISTS ${ARROW_INCLUDE_DIR}/parquet/arrow/reader.h)
      list(GET _arrow_libs 0 ARROW_LIBRARY)
      list(GET _parquet_libs 0 PARQUET_LIBRARY)
      set(OQVL_HAVE_ARROW ON)
    endif()
  endif()
endif()
message(STATUS "oqvl: Apache Arrow (Parquet) ${OQVL_HAVE_ARROW} ${PARQUET_LIBRARY}")

# OpenSSL's libcrypto (Debian libssl-dev) for SHA-256 with the CPU's SHA extensions
# (src/oqvl/core/sha256.cpp); optional, a portable implementation otherwise.
option(OQVL_WITH_OPENSSL "Use OpenSSL's libcrypto for SHA-256 when it is installed" ON)
set(OQVL_HAVE_OPENSSL OFF)
if(OQVL_WITH_OPENSSL)
  find_package(OpenSSL QUIET COMPONENTS Crypto)
  if(OPENSSL_CRYPTO_LIBRARY)
    set(OQVL_HAVE_OPENSSL ON)
  endif()
endif()
message(STATUS "oqvl: OpenSSL libcrypto ${OQVL_HAVE_OPENSSL}")
