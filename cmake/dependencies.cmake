# The one list of third-party dependencies, all from Debian 12 packages (scripts/install-deps.sh
# installs exactly these). Why each one is here:
#
#   libboost1.81-dev     Asio + C++20 coroutines: one event loop per core, no thread per connection.
#   libssl-dev           OpenSSL 3: TLS (STARTTLS/implicit TLS), random ids, SHA/HMAC.
#   libsqlite3-dev       the directory (domains, users) in WAL mode: embedded, durable, zero setup.
#   libsodium-dev        argon2id password hashes for new passwords.
#   libcrypt-dev         verify imported $6$/$2y$/$y$ hashes (migration from Dovecot/cPanel).
#   libtomlplusplus-dev  the TOML configuration file.
#   libcli11-dev         the subcommand CLI.
#   libspdlog-dev/fmt    fast key=value log lines.
#   nlohmann-json3-dev   --json output of list commands.
#   googletest/gmock     unit tests; libbenchmark-dev for micro benchmarks in bench/.
#
# The durable spool is our own segment log with group commit (src/spool), not RocksDB: one
# fdatasync covers every message committed in the same window, and the record format is simple
# enough to recover by scanning (see docs/spool.md).
find_package(Threads REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt>=4.4)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
if(MW_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  include(GoogleTest)
endif()

# Asio is compiled once (src/net/asio_impl.cpp); every TU that includes it links mw_asio.
add_library(mw_asio INTERFACE)
target_link_libraries(mw_asio INTERFACE Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(mw_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_SEPARATE_COMPILATION)
