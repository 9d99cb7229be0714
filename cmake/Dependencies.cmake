# Every dependency is a Debian 12 package installed by scripts/setup (DESIGN §2). Nothing is downloaded.
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_library(LAPACKE_LIBRARY NAMES lapacke REQUIRED)
find_path(LAPACKE_INCLUDE_DIR lapacke.h REQUIRED)
add_library(sextant_lapack INTERFACE)
target_include_directories(sextant_lapack SYSTEM INTERFACE ${LAPACKE_INCLUDE_DIR})
target_link_libraries(sextant_lapack INTERFACE ${LAPACKE_LIBRARY} PkgConfig::OPENBLAS)

find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(TBB REQUIRED)
find_package(fmt REQUIRED)
find_package(simdjson REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(Threads REQUIRED)

if(SEXTANT_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(ZLIB REQUIRED)  # the WebSocket test client's permessage-deflate
endif()
if(SEXTANT_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# COIN-OR Clp (coinor-libclp-dev): the LP solver behind min-CVaR and the frontier's return range.
# Linked directly, not through clp.pc, which would also pull reference BLAS/LAPACK next to OpenBLAS.
find_path(CLP_INCLUDE_DIR ClpSimplex.hpp PATH_SUFFIXES coin REQUIRED)
find_library(CLP_LIBRARY Clp REQUIRED)
find_library(COINUTILS_LIBRARY CoinUtils REQUIRED)
add_library(sextant_clp INTERFACE)
target_include_directories(sextant_clp SYSTEM INTERFACE ${CLP_INCLUDE_DIR})
target_link_libraries(sextant_clp INTERFACE ${CLP_LIBRARY} ${COINUTILS_LIBRARY})

# XGBoost 1.7 (libxgboost-dev): training and the reference predictions; Debian ships no CMake config.
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h REQUIRED)
find_library(XGBOOST_LIBRARY xgboost REQUIRED)
add_library(sextant_xgboost INTERFACE)
target_include_directories(sextant_xgboost SYSTEM INTERFACE ${XGBOOST_INCLUDE_DIR})
target_link_libraries(sextant_xgboost INTERFACE ${XGBOOST_LIBRARY})
