// A Beast body that streams one byte range of an open file, so static files
// and Range requests are sent without loading the file into memory.
#pragma once

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <utility>

namespace lvyuan::http {

struct FileRangeBody {
  struct value_type {
    boost::beast::file file;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };

  static std::uint64_t size(const value_type& body) { return body.length; }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(boost::beast::error_code& ec) {
      remain_ = body_.length;
      body_.file.seek(body_.offset, ec);
    }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      if (remain_ == 0) {
        ec = {};
        return boost::none;
      }
      std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(remain_, static_cast<std::uint64_t>(buffer_.size())));
      std::size_t got = body_.file.read(buffer_.data(), want, ec);
      if (ec) return boost::none;
      if (got == 0) {
        ec = boost::asio::error::eof;  // the file shrank while being sent
        return boost::none;
      }
      remain_ -= got;
      return std::make_pair(const_buffers_type(buffer_.data(), got), remain_ > 0);
    }

   private:
    value_type& body_;
    std::uint64_t remain_ = 0;
    std::array<char, 16384> buffer_;
  };
};

}  // namespace lvyuan::http
