// The compiled parts of Asio and Beast (BOOST_*_SEPARATE_COMPILATION is set
// for everything linking lvyuan_http), built once instead of in every file.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
