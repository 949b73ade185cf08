// Runs blocking work (SQLite, password hashing, fsync waits) off the I/O threads and resumes the
// awaiting coroutine on its own executor: `auto r = co_await offload(pool, [&] { return f(); });`
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace mw::net {

template <class F>
auto offload(boost::asio::thread_pool& pool, F work)
    -> boost::asio::awaitable<std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;
    namespace asio = boost::asio;
    auto initiate = [&pool, work = std::move(work)](auto handler) mutable {
        asio::post(pool, [work = std::move(work), handler = std::move(handler)]() mutable {
            std::exception_ptr error;
            std::optional<R> result;
            try {
                result.emplace(work());
            } catch (...) {
                error = std::current_exception();
            }
            auto ex = asio::get_associated_executor(handler);
            asio::post(ex,
                       [handler = std::move(handler), error, result = std::move(result)]() mutable {
                           if (error)
                               std::move(handler)(error, R{});
                           else
                               std::move(handler)(nullptr, std::move(*result));
                       });
        });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                            void(std::exception_ptr, R)>(std::move(initiate),
                                                                         asio::use_awaitable);
}

}  // namespace mw::net
