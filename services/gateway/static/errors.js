// How a failed request is told to the user, the same on every page: the server's own message in
// Vietnamese and English (problem+json: message_vi, message_en), or, when no answer came at all
// (server down, no network), that the server cannot be reached — never a silent page.
"use strict";

const DV_UNREACHABLE = {message_vi: "Không kết nối được máy chủ, hãy thử lại",
                        message_en: "Cannot reach the server, try again"};

function dvProblem(status, body) {
  const b = body || {};
  const vi = b.message_vi || b.title || `Lỗi ${status}`;
  return b.message_en ? `${vi} — ${b.message_en}` : vi;
}

function dvUnreachable() { return dvProblem(0, DV_UNREACHABLE); }
