// The one translation unit that compiles Asio (BOOST_ASIO_SEPARATE_COMPILATION): every other TU
// only includes the headers, which roughly halves compile time under the sanitizers.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
