#pragma once
// Internal to src/net: the hand-off from an HTTP session to a WebSocket session. Beast types, so only
// server.cpp and ws_session.cpp include it.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <memory>

#include "sextant/net/websocket.hpp"

namespace sextant::net {

//! Completes the upgrade on `socket` (whose executor is its strand) and runs the session until the
//! connection ends. `active` counts it as one of the server's connections while it lives; `owner`
//! keeps that counter alive.
void run_ws_session(boost::asio::ip::tcp::socket socket, boost::beast::http::request<boost::beast::http::string_body> upgrade,
                    const WsSettings& settings, std::shared_ptr<WsConnection> conn, WsHandlers handlers,
                    std::atomic<std::uint64_t>* active, std::shared_ptr<const void> owner);

}  // namespace sextant::net
