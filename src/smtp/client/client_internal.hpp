// Shared by the client_*.cpp files only: our own RFC 3463 codes for decisions the server did not
// word, and the EHLO command line.
#pragma once

#include <string>

#include "smtp/client/client.hpp"

namespace mw::smtp::client::detail {

inline constexpr EnhancedCode kNoAnswer{4, 4, 1};          // could not connect
inline constexpr EnhancedCode kConnectionBroken{4, 4, 2};  // closed or timed out mid-dialogue
inline constexpr EnhancedCode kProtocolError{4, 5, 0};     // the server broke the protocol
inline constexpr EnhancedCode kMisconfigured{4, 3, 5};     // our own options cannot work
inline constexpr EnhancedCode kTlsMissing{4, 7, 10};       // encryption needed (RFC 5248 X.7.10)
inline constexpr EnhancedCode kAuthImpossible{4, 7, 0};    // cannot authenticate to the relay

inline std::string ehlo_command(const Options& options) {
    return "EHLO " + options.ehlo_name + "\r\n";
}

}  // namespace mw::smtp::client::detail
