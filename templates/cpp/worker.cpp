// accelcert worker template (C++17, standard library + POSIX only): copy this file to start the driver of your device.
//
// Build:  g++ -std=c++17 -O2 -o worker worker.cpp        (or `make` with the Makefile next to this file)
// Check:  accelcert driver-check --driver exec --worker "./worker"
// Run:    accelcert run --driver exec --worker "./worker" --filter 'core/*/aten.add.Tensor/*'
//
// accelcert starts this program and talks to it in the framed protocol of docs/driver-protocol.md: requests arrive on
// file descriptor 3, replies leave on file descriptor 4. Stdout and stderr are not part of the protocol (the harness
// copies them into its run log), so print whatever you like there.
//
// As shipped, it drives a pretend device, "template-cpp:0", that computes on the host CPU:
//   aten.add.Tensor and aten.sub.Tensor (with alpha), aten.mul.Tensor, aten.neg.default, aten.relu.default
//   on float32, float64 and int32, with broadcasting, type promotion and any strided input view.
// Every other op, dtype or argument form is answered `unsupported`. To make it drive your device, change the places
// marked "VENDOR:": the fingerprint and device names, the capabilities, device memory (upload/download), the kernels,
// and the synchronisation.
//
// Layout of the file: a small JSON reader/writer (the headers), framing, tensors, the kernels, requests, main.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// Tensor bytes on the wire are little-endian; this template reads them in place, so it needs a little-endian host.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "this worker reads little-endian tensor data in place");

// ------------------------------------------------------------------------------------------------ who we are

static const int PROTOCOL = 1;  // the protocol version this worker speaks; the harness stops one that speaks another
static const char* WORKER_NAME = "template-cpp-worker";  // VENDOR: your worker's name and version
static const char* WORKER_VERSION = "0.1.0";
// VENDOR: your device names. One worker process opens at most one device; `discover` lists all of them.
static const std::vector<std::string> DEVICES = {"template-cpp:0"};

// ------------------------------------------------------------------------------------------------ JSON

// Just enough JSON for the protocol's headers: null, booleans, numbers, strings (with every escape), arrays and
// objects. Objects keep their keys in order, so replies read as they were written. Integers are kept exactly
// (ids and byte offsets are integers; a double holds them exactly only up to 2^53).
struct Json {
  enum Type { Null, Bool, Number, String, Array, Object };
  Type type = Null;
  bool boolean = false;
  bool is_int = false;  // a Number written without fraction or exponent that fits in int64
  int64_t integer = 0;
  double number = 0;
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type(Bool), boolean(b) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T v) : type(Number), is_int(true), integer(static_cast<int64_t>(v)), number(static_cast<double>(v)) {}
  Json(double v) : type(Number), number(v) {}
  Json(const char* s) : type(String), text(s) {}
  Json(std::string s) : type(String), text(std::move(s)) {}

  static Json array(std::vector<Json> v) {
    Json j;
    j.type = Array;
    j.items = std::move(v);
    return j;
  }
  static Json object(std::vector<std::pair<std::string, Json>> v) {
    Json j;
    j.type = Object;
    j.fields = std::move(v);
    return j;
  }

  // the member `key` of an object, or nullptr when absent (or when this is not an object)
  const Json* get(const std::string& key) const {
    for (const auto& f : fields)
      if (f.first == key) return &f.second;
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(const std::string& s) : s_(s) {}

  Json document() {
    Json v = value(0);
    skip_space();
    if (i_ != s_.size()) fail("unexpected text after the value");
    return v;
  }

 private:
  const std::string& s_;
  size_t i_ = 0;

  [[noreturn]] void fail(const char* what) { throw std::runtime_error("invalid JSON at byte " + std::to_string(i_) + ": " + what); }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(const char* word) {
    size_t n = std::strlen(word);
    if (s_.compare(i_, n, word) != 0) return false;
    i_ += n;
    return true;
  }

  Json value(int depth) {
    if (depth > 256) fail("nested too deeply");  // a hostile header must not overflow the stack
    skip_space();
    if (i_ >= s_.size()) fail("unexpected end");
    char c = s_[i_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Json(string());
    if (eat("true")) return Json(true);
    if (eat("false")) return Json(false);
    if (eat("null")) return Json(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    fail("unexpected character");
  }

  Json object(int depth) {
    Json j = Json::object({});
    ++i_;  // '{'
    skip_space();
    if (i_ < s_.size() && s_[i_] == '}') return ++i_, j;
    for (;;) {
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string key");
      std::string key = string();
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':') fail("expected ':'");
      ++i_;
      j.fields.emplace_back(std::move(key), value(depth + 1));
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, j;
      fail("expected ',' or '}'");
    }
  }

  Json array(int depth) {
    Json j = Json::array({});
    ++i_;  // '['
    skip_space();
    if (i_ < s_.size() && s_[i_] == ']') return ++i_, j;
    for (;;) {
      j.items.push_back(value(depth + 1));
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, j;
      fail("expected ',' or ']'");
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  Json number() {
    size_t start = i_;
    bool integral = true;
    if (s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') ++i_;
    else if (i_ < s_.size() && digit(s_[i_])) while (i_ < s_.size() && digit(s_[i_])) ++i_;
    else fail("expected a digit");
    if (i_ < s_.size() && s_[i_] == '.') {
      integral = false;
      if (++i_ >= s_.size() || !digit(s_[i_])) fail("expected a digit after '.'");
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integral = false;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !digit(s_[i_])) fail("expected a digit in the exponent");
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
    }
    std::string token = s_.substr(start, i_ - start);
    Json j(std::strtod(token.c_str(), nullptr));
    if (integral) {
      errno = 0;
      long long v = std::strtoll(token.c_str(), nullptr, 10);
      if (errno == 0) j.is_int = true, j.integer = v;  // beyond int64: kept as a double only
    }
    return j;
  }

  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    std::string out;
    ++i_;  // '"'
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') { out += c; continue; }
      if (i_ >= s_.size()) fail("unterminated escape");
      switch (s_[i_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {  // a surrogate pair: one code point
            i_ += 2;
            unsigned low = hex4();
            if (low < 0xDC00 || low >= 0xE000) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xD800 && cp < 0xE000) {
            fail("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: fail("unknown escape");
      }
    }
  }
};

static void write_json(const Json& j, std::string& out) {
  switch (j.type) {
    case Json::Null: out += "null"; return;
    case Json::Bool: out += j.boolean ? "true" : "false"; return;
    case Json::Number: {
      if (j.is_int) { out += std::to_string(j.integer); return; }
      if (!std::isfinite(j.number)) { out += "null"; return; }  // JSON has no spelling for inf or nan
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", j.number);
      out += buf;
      return;
    }
    case Json::String: {
      out += '"';
      for (char c : j.text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else out += c;  // UTF-8 passes through as it is
      }
      out += '"';
      return;
    }
    case Json::Array:
      out += '[';
      for (size_t k = 0; k < j.items.size(); ++k) {
        if (k) out += ',';
        write_json(j.items[k], out);
      }
      out += ']';
      return;
    case Json::Object:
      out += '{';
      for (size_t k = 0; k < j.fields.size(); ++k) {
        if (k) out += ',';
        write_json(Json(j.fields[k].first), out);
        out += ':';
        write_json(j.fields[k].second, out);
      }
      out += '}';
      return;
  }
}

// ------------------------------------------------------------------------------------------------ framing (§2)

static const int IN_FD = 3, OUT_FD = 4;
static const uint32_t MAX_HEADER = 16u << 20;
static const uint64_t MAX_BODY = 2ull << 30;

// n bytes from fd 3; false when the pipe ends before the first byte (the harness is done with us)
static bool read_exact(void* p, size_t n) {
  auto* c = static_cast<unsigned char*>(p);
  size_t got = 0;
  while (got < n) {
    ssize_t k = read(IN_FD, c + got, n - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      if (got == 0) return false;
      std::fprintf(stderr, "template-cpp worker: the request stream ended inside a frame\n");
      std::exit(1);
    }
    got += static_cast<size_t>(k);
  }
  return true;
}

static void write_all(const void* p, size_t n) {
  const auto* c = static_cast<const unsigned char*>(p);
  while (n > 0) {
    ssize_t k = write(OUT_FD, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) std::exit(1);  // the harness is gone: nobody is left to answer
    c += k, n -= static_cast<size_t>(k);
  }
}

struct Frame {
  Json header;
  std::vector<unsigned char> body;
};

// The next request, or false at the end of input. The prefix is read byte by byte as little-endian numbers, so the
// framing itself does not depend on the host's byte order.
static bool read_frame(Frame& f) {
  unsigned char prefix[16];
  if (!read_exact(prefix, 16)) return false;
  uint32_t header_len = 0;
  uint64_t body_len = 0;
  for (int k = 3; k >= 0; --k) header_len = (header_len << 8) | prefix[4 + k];
  for (int k = 7; k >= 0; --k) body_len = (body_len << 8) | prefix[8 + k];
  // a stream that is not frames cannot be resynchronised: give up rather than guess
  if (std::memcmp(prefix, "ACRT", 4) != 0 || header_len < 2 || header_len > MAX_HEADER || body_len > MAX_BODY) {
    std::fprintf(stderr, "template-cpp worker: the harness sent something that is not an accelcert frame\n");
    std::exit(1);
  }
  std::string header(header_len, '\0');
  f.body.assign(body_len, 0);
  if (!read_exact(&header[0], header_len) || (body_len && !read_exact(f.body.data(), body_len))) {
    std::fprintf(stderr, "template-cpp worker: the request stream ended inside a frame\n");
    std::exit(1);
  }
  try {
    f.header = JsonReader(header).document();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "template-cpp worker: a request header is not JSON: %s\n", e.what());
    std::exit(1);
  }
  return true;
}

static void write_frame(const Json& header, const void* body = nullptr, uint64_t body_len = 0) {
  std::string head;
  write_json(header, head);
  unsigned char prefix[16];
  std::memcpy(prefix, "ACRT", 4);
  uint32_t header_len = static_cast<uint32_t>(head.size());
  for (int k = 0; k < 4; ++k) prefix[4 + k] = static_cast<unsigned char>(header_len >> (8 * k));
  for (int k = 0; k < 8; ++k) prefix[8 + k] = static_cast<unsigned char>(body_len >> (8 * k));
  write_all(prefix, 16);
  write_all(head.data(), head.size());
  if (body_len) write_all(body, body_len);
}

// A failure with its protocol error kind (§7): it becomes the `error` reply to the request.
struct Failure : std::runtime_error {
  std::string kind;  // unsupported | runtime | out_of_memory | invalid_device | bad_request
  Failure(std::string k, const std::string& message) : std::runtime_error(message), kind(std::move(k)) {}
};

// ------------------------------------------------------------------------------------------------ tensors (§5)

enum class DType { Float32, Float64, Int32 };

// the dtypes this device has, with their wire names (§5) and sizes; VENDOR: yours
struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t itemsize;
};
static const DTypeInfo DTYPES[] = {{DType::Float32, "float32", 4}, {DType::Float64, "float64", 8}, {DType::Int32, "int32", 4}};

static const DTypeInfo& info(DType d) {
  for (const auto& i : DTYPES)
    if (i.dtype == d) return i;
  throw std::logic_error("unknown dtype");
}

// Device memory. VENDOR: allocate on your device here (and free in the destructor); the template keeps it on the host.
struct DeviceBuffer {
  std::vector<unsigned char> bytes;
  explicit DeviceBuffer(size_t n) : bytes(n) {}
  void* data() { return bytes.data(); }
  const void* data() const { return bytes.data(); }
};

// VENDOR: host-to-device copy (cudaMemcpy, your runtime's DMA, ...).
static void upload(DeviceBuffer& dst, const unsigned char* src, size_t n) {
  if (n) std::memcpy(dst.data(), src, n);
}

// VENDOR: device-to-host copy.
static void download(unsigned char* dst, const DeviceBuffer& src, size_t n) {
  if (n) std::memcpy(dst, src.data(), n);
}

// VENDOR: wait until the device has finished all queued work (so that it is timed, and results are complete).
static void synchronize() {}

// A tensor as PyTorch holds it: a storage on the device and a view into it, counted in elements. Element [i0, i1, ...]
// is storage element offset + i0*strides[0] + i1*strides[1] + ...
struct Tensor {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape, strides;
  int64_t offset = 0;
  std::shared_ptr<DeviceBuffer> storage;
};

static int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) throw Failure("bad_request", "a shape has more elements than int64 counts");
  return n;
}

static int64_t int_field(const Json& j, const char* key) {
  const Json* v = j.get(key);
  if (!v || v->type != Json::Number || !v->is_int) throw Failure("bad_request", std::string("missing or non-integer field ") + key);
  return v->integer;
}

static std::vector<int64_t> ints_field(const Json& j, const char* key) {
  const Json* v = j.get(key);
  if (!v || v->type != Json::Array) throw Failure("bad_request", std::string("missing list field ") + key);
  std::vector<int64_t> out;
  for (const Json& x : v->items) {
    if (x.type != Json::Number || !x.is_int) throw Failure("bad_request", std::string("a non-integer in ") + key);
    out.push_back(x.integer);
  }
  return out;
}

// Rebuilds input k exactly as the harness holds it: its whole storage copied bit for bit onto the device, then the
// view on it. It is not made contiguous: reading strided inputs is part of what is certified. Every element the view
// can reach is checked to lie inside the storage, and the storage inside the body: a malformed request costs only its
// own case.
static Tensor make_input(const Json& spec, const std::vector<unsigned char>& body, size_t k) {
  const Json* dt = spec.get("dtype");
  if (!dt || dt->type != Json::String) throw Failure("bad_request", "an input without a dtype");
  const DTypeInfo* di = nullptr;
  for (const auto& i : DTYPES)
    if (dt->text == i.name) di = &i;
  if (!di) throw Failure("unsupported", "the template-cpp device has no " + dt->text);
  Tensor t;
  t.dtype = di->dtype;
  t.shape = ints_field(spec, "shape");
  t.strides = ints_field(spec, "strides");
  t.offset = int_field(spec, "offset");
  int64_t byte_offset = int_field(spec, "byteOffset"), byte_length = int_field(spec, "byteLength");
  std::string which = "input " + std::to_string(k);
  if (byte_offset < 0 || byte_length < 0 || static_cast<uint64_t>(byte_length) % di->itemsize != 0 ||
      static_cast<uint64_t>(byte_offset) > body.size() || static_cast<uint64_t>(byte_length) > body.size() - static_cast<uint64_t>(byte_offset))
    throw Failure("bad_request", which + " lies outside the frame body");
  if (t.shape.size() != t.strides.size()) throw Failure("bad_request", which + " has " + std::to_string(t.shape.size()) + " sizes but " + std::to_string(t.strides.size()) + " strides");
  for (int64_t d : t.shape)
    if (d < 0) throw Failure("bad_request", which + " has a negative size");
  if (numel(t.shape) > 0) {
    int64_t lo = t.offset, hi = t.offset;  // the lowest and highest storage element the view reaches
    for (size_t d = 0; d < t.shape.size(); ++d) {
      int64_t reach;
      if (__builtin_mul_overflow(t.strides[d], t.shape[d] - 1, &reach) || __builtin_add_overflow(reach < 0 ? lo : hi, reach, reach < 0 ? &lo : &hi))
        throw Failure("bad_request", which + " has strides beyond int64");
    }
    if (lo < 0 || hi >= byte_length / static_cast<int64_t>(di->itemsize))
      throw Failure("bad_request", which + " is a view that reaches outside its storage");
  }
  t.storage = std::make_shared<DeviceBuffer>(static_cast<size_t>(byte_length));
  upload(*t.storage, body.data() + byte_offset, static_cast<size_t>(byte_length));
  return t;
}

// The same tensor seen with `shape` (the broadcast result): missing leading dims and size-1 dims get stride 0, so the
// kernel reads the one element again and again, as PyTorch's expand() does.
static Tensor broadcast_to(const Tensor& t, const std::vector<int64_t>& shape) {
  Tensor b = t;
  size_t lead = shape.size() - t.shape.size();
  b.shape = shape;
  b.strides.assign(shape.size(), 0);
  for (size_t d = 0; d < t.shape.size(); ++d)
    if (t.shape[d] != 1) b.strides[lead + d] = t.strides[d];
  return b;
}

static std::vector<int64_t> broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  std::vector<int64_t> out(std::max(a.size(), b.size()), 1);
  for (size_t k = 0; k < out.size(); ++k) {
    int64_t x = k < out.size() - a.size() ? 1 : a[k - (out.size() - a.size())];
    int64_t y = k < out.size() - b.size() ? 1 : b[k - (out.size() - b.size())];
    if (x != y && x != 1 && y != 1)
      throw Failure("runtime", "The size of tensor a (" + std::to_string(x) + ") must match the size of tensor b (" + std::to_string(y) +
                                   ") at non-singleton dimension " + std::to_string(k));
    out[k] = x == 1 ? y : x;
  }
  return out;
}

// PyTorch's type promotion for two tensors (at::result_type), for the dtypes this device has: dimensioned tensors decide
// the dtype; a 0-dimensional tensor only when it is of a higher category (a float 0-dim tensor with an int32 tensor).
static bool is_float(DType d) { return d != DType::Int32; }
static DType promote(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
  return DType::Float32;  // float32 with int32
}
static DType result_type(const Tensor& a, const Tensor& b) {
  bool a_dim = !a.shape.empty(), b_dim = !b.shape.empty();
  if (a_dim == b_dim) return promote(a.dtype, b.dtype);
  const Tensor& dim = a_dim ? a : b;
  const Tensor& zero = a_dim ? b : a;
  if (is_float(zero.dtype) && !is_float(dim.dtype)) return promote(dim.dtype, zero.dtype);
  return dim.dtype;
}

// A contiguous copy of t in dtype `to` (PyTorch casts mixed inputs to the result dtype before the kernel runs).
// VENDOR: a cast kernel on your device; here the elements are converted on the host.
template <class From, class To>
static void cast_elements(const Tensor& t, To* out) {
  const From* in = static_cast<const From*>(t.storage->data());
  std::vector<int64_t> idx(t.shape.size(), 0);
  int64_t n = numel(t.shape), at = t.offset;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<To>(in[at]);
    for (size_t d = t.shape.size(); d-- > 0;) {
      if (++idx[d] < t.shape[d]) { at += t.strides[d]; break; }
      at -= t.strides[d] * (t.shape[d] - 1), idx[d] = 0;
    }
  }
}

template <class To>
static Tensor cast_to(const Tensor& t) {
  Tensor c;
  c.dtype = std::is_same_v<To, float> ? DType::Float32 : std::is_same_v<To, double> ? DType::Float64 : DType::Int32;
  c.shape = t.shape;
  c.strides.assign(t.shape.size(), 0);
  for (size_t d = t.shape.size(), s = 1; d-- > 0; s *= static_cast<size_t>(t.shape[d])) c.strides[d] = static_cast<int64_t>(s);
  c.storage = std::make_shared<DeviceBuffer>(static_cast<size_t>(numel(t.shape)) * sizeof(To));
  To* out = static_cast<To*>(c.storage->data());
  if (t.dtype == DType::Float32) cast_elements<float>(t, out);
  else if (t.dtype == DType::Float64) cast_elements<double>(t, out);
  else cast_elements<int32_t>(t, out);
  return c;
}

static Tensor cast_to(const Tensor& t, DType to) {
  if (t.dtype == to) return t;
  if (to == DType::Float32) return cast_to<float>(t);
  if (to == DType::Float64) return cast_to<double>(t);
  return cast_to<int32_t>(t);
}

// ------------------------------------------------------------------------------------------------ the kernels

// VENDOR: your device's kernels go here. Each one computes out[i] = f(a[...], b[...]) for every element of the
// (broadcast) output, contiguous and row-major, from inputs that are strided views of one dtype T: strides may be
// anything the harness sends (transposed, sliced, offset, 0 for broadcast dims). Replace the host loop below with a
// launch of your kernel on the device buffers, or copy the inputs into the layout your kernel needs first (on the device).
enum class Op { Add, Sub, Mul, Neg, Relu };

// int32 wraps around on overflow as in PyTorch; unsigned arithmetic does that without undefined behaviour
template <class T> static T wrap_add(T a, T b) { return a + b; }
template <class T> static T wrap_mul(T a, T b) { return a * b; }
template <class T> static T wrap_neg(T a) { return -a; }  // floats: flips the sign bit, of zeros and NaNs too
template <> int32_t wrap_add(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b)); }
template <> int32_t wrap_mul(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b)); }
template <> int32_t wrap_neg(int32_t a) { return static_cast<int32_t>(0u - static_cast<uint32_t>(a)); }

template <class T>
static T apply(Op op, T a, T b, T alpha) {
  switch (op) {
    case Op::Add: return wrap_add(a, wrap_mul(alpha, b));            // a + alpha*b, as PyTorch computes it
    case Op::Sub: return wrap_add(a, wrap_mul(wrap_neg(alpha), b));  // PyTorch's sub is add with -alpha
    case Op::Mul: return wrap_mul(a, b);
    case Op::Neg: return wrap_neg(a);
    case Op::Relu: return a < T(0) ? T(0) : a;                       // NaN and -0.0 stay as they are, as in PyTorch
  }
  return a;
}

template <class T>
static void elementwise(Op op, const std::vector<int64_t>& shape, const Tensor& a, const Tensor* b, T alpha, DeviceBuffer& out) {
  const T* pa = static_cast<const T*>(a.storage->data());
  const T* pb = b ? static_cast<const T*>(b->storage->data()) : nullptr;
  T* po = static_cast<T*>(out.data());
  int64_t n = numel(shape), ia = a.offset, ib = b ? b->offset : 0;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    po[i] = apply(op, pa[ia], pb ? pb[ib] : T(0), alpha);
    for (size_t d = shape.size(); d-- > 0;) {  // the next index, like an odometer, moving each input by its strides
      if (++idx[d] < shape[d]) {
        ia += a.strides[d];
        if (b) ib += b->strides[d];
        break;
      }
      ia -= a.strides[d] * (shape[d] - 1);
      if (b) ib -= b->strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

// ------------------------------------------------------------------------------------------------ exec (§4, §6)

struct OpInfo {
  const char* name;
  Op op;
  bool binary, alpha;
};
// VENDOR: the ops your device implements (listed in the capabilities, so the harness sends no others)
static const OpInfo OPS[] = {
    {"aten.add.Tensor", Op::Add, true, true}, {"aten.sub.Tensor", Op::Sub, true, true}, {"aten.mul.Tensor", Op::Mul, true, false},
    {"aten.neg.default", Op::Neg, false, false}, {"aten.relu.default", Op::Relu, false, false},
};

struct Scalar {
  bool is_float;
  double f;
  int64_t i;
};

// alpha, a Scalar argument: int, float ("inf", "-inf" and "nan" travel as strings) or bool
static Scalar scalar_arg(const Json& arg, const std::string& op) {
  const Json* kind = arg.get("kind");
  const Json* v = arg.get("value");
  std::string k = kind && kind->type == Json::String ? kind->text : "";
  if (k == "int" && v && v->is_int) return {false, static_cast<double>(v->integer), v->integer};
  if (k == "bool" && v && v->type == Json::Bool) return {false, v->boolean ? 1.0 : 0.0, v->boolean ? 1 : 0};
  if (k == "float" && v && v->type == Json::Number) return {true, v->number, 0};
  if (k == "float" && v && v->type == Json::String && (v->text == "inf" || v->text == "-inf" || v->text == "nan"))
    return {true, v->text == "nan" ? NAN : v->text == "inf" ? INFINITY : -INFINITY, 0};
  throw Failure("unsupported", "the template-cpp device takes alpha of " + op + " only as a number, not " + (k.empty() ? "?" : k));
}

static const Json& tensor_arg(const Json& arg, size_t n_inputs, const std::string& op) {
  const Json* kind = arg.get("kind");
  if (!kind || kind->type != Json::String || kind->text != "tensor")
    throw Failure("unsupported", "the template-cpp device takes only tensors as the operands of " + op);
  const Json* index = arg.get("index");
  if (!index || !index->is_int || index->integer < 0 || static_cast<uint64_t>(index->integer) >= n_inputs)
    throw Failure("bad_request", "an argument names an input the request does not have");
  return *index;
}

// An `exec` request: one ATen call on the request's inputs. It is computed anew every time: the harness sends each
// case twice and fails an answer that differs, so a cache would hide exactly what that check looks for.
static void exec(const Json& id, const Json& msg, const std::vector<unsigned char>& body) {
  const Json* op_name = msg.get("op");
  const Json* args = msg.get("args");
  const Json* kwargs = msg.get("kwargs");
  const Json* inputs = msg.get("inputs");
  if (!op_name || op_name->type != Json::String || !args || args->type != Json::Array || !inputs || inputs->type != Json::Array)
    throw Failure("bad_request", "an exec request needs op, args and inputs");
  const std::string& name = op_name->text;
  const OpInfo* op = nullptr;
  for (const auto& o : OPS)
    if (name == o.name) op = &o;
  if (!op) throw Failure("unsupported", "the template-cpp device has no " + name);

  // the argument forms this device takes: (self[, other][, alpha]) positionally, alpha also by name
  size_t n_tensors = op->binary ? 2 : 1;
  if (args->items.size() < n_tensors || args->items.size() > n_tensors + (op->alpha ? 1 : 0))
    throw Failure("unsupported", "the template-cpp device takes " + name + " with " + std::to_string(n_tensors) + " tensors" + (op->alpha ? " and alpha" : ""));
  Scalar alpha{false, 1.0, 1};
  if (args->items.size() > n_tensors) alpha = scalar_arg(args->items[n_tensors], name);
  if (kwargs && kwargs->type == Json::Object) {
    for (const auto& kw : kwargs->fields) {
      if (op->alpha && kw.first == "alpha" && args->items.size() == n_tensors) alpha = scalar_arg(kw.second, name);
      else throw Failure("unsupported", "the template-cpp device takes no argument " + kw.first + " for " + name);
    }
  }

  std::vector<Tensor> operands;
  std::vector<bool> built(inputs->items.size(), false);
  std::vector<Tensor> tensors(inputs->items.size());
  for (size_t k = 0; k < n_tensors; ++k) {
    size_t index = static_cast<size_t>(tensor_arg(args->items[k], inputs->items.size(), name).integer);
    if (!built[index]) tensors[index] = make_input(inputs->items[index], body, index), built[index] = true;
    operands.push_back(tensors[index]);
  }

  DType dtype = operands[0].dtype;
  std::vector<int64_t> shape = operands[0].shape;
  if (op->binary) {
    dtype = result_type(operands[0], operands[1]);
    shape = broadcast_shape(operands[0].shape, operands[1].shape);
    for (Tensor& t : operands) t = broadcast_to(cast_to(t, dtype), shape);
  }
  if (dtype == DType::Int32 && alpha.is_float)
    throw Failure("runtime", "For integral input tensors, argument alpha must not be a floating point number.");

  size_t itemsize = info(dtype).itemsize;
  size_t nbytes = static_cast<size_t>(numel(shape)) * itemsize;
  DeviceBuffer out(nbytes);
  const Tensor* b = op->binary ? &operands[1] : nullptr;
  synchronize();
  auto start = std::chrono::steady_clock::now();  // VENDOR: device timing events, where your device has them
  if (dtype == DType::Float32) elementwise<float>(op->op, shape, operands[0], b, static_cast<float>(alpha.f), out);
  else if (dtype == DType::Float64) elementwise<double>(op->op, shape, operands[0], b, alpha.f, out);
  else elementwise<int32_t>(op->op, shape, operands[0], b, static_cast<int32_t>(alpha.i), out);
  synchronize();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();

  // the output goes back contiguous (row-major), storage offset 0, at byte 0 of the reply body
  std::vector<unsigned char> host(nbytes);
  download(host.data(), out, nbytes);
  std::vector<Json> dims;
  for (int64_t d : shape) dims.emplace_back(d);
  Json output = Json::object({{"dtype", info(dtype).name}, {"shape", Json::array(dims)}, {"byteOffset", 0}, {"byteLength", nbytes}});
  write_frame(Json::object({{"type", "result"}, {"id", id}, {"outputs", Json::array({output})}, {"deviceTimeNs", static_cast<int64_t>(ns)}}),
              host.data(), nbytes);
}

// ------------------------------------------------------------------------------------------------ requests (§3, §4)

// Ties every result to exact hardware and software; it is recorded in the signed report. VENDOR: your vendor, model,
// memory size, driver version, and in `extra` (strings) whatever else changes numerics: firmware, compute units ...
static Json fingerprint(const std::string&) {
  return Json::object({
      {"vendor", "Template Vendor"},
      {"model", "template-cpp device (C++ on the host CPU)"},
      {"memoryBytes", nullptr},  // bytes of device memory, or null when unknown
      {"driverVersion", "0.1.0"},
      {"framework", nullptr},  // {"name", "version"} of a framework the kernels run in, or null
      {"extra", Json::object({{"compiler", __VERSION__}})},
  });
}

// What the device can run. The harness does not send a case whose input dtypes or op the capabilities leave out: it
// records it `unsupported` itself. VENDOR: exactly your device's dtypes and ops.
static Json capabilities() {
  std::vector<Json> dtypes, ops;
  for (const auto& d : DTYPES) dtypes.emplace_back(d.name);
  for (const auto& o : OPS) ops.emplace_back(o.name);
  return Json::object({
      {"dtypes", Json::array(dtypes)},
      {"ops", Json::array(ops)},
      {"features", Json::array({"non_contiguous_inputs", "device_time"})},  // recorded in the report
      {"workloads", Json::object({{"op", 1}})},  // op requests only (no graph or bench)
  });
}

static void reply_error(const Json& id, const std::string& kind, const std::string& message) {
  write_frame(Json::object({{"type", "error"}, {"id", id}, {"kind", kind}, {"message", message}}));
}

int main() {
  if (fcntl(IN_FD, F_GETFD) < 0 || fcntl(OUT_FD, F_GETFD) < 0) {  // started from a shell: there are no pipes to serve
    std::fprintf(stderr, "this is an accelcert worker: run it through accelcert driver-check or run --driver exec --worker\n");
    return 2;
  }
  std::string device;  // the open device, empty before `open`
  Frame f;
  while (read_frame(f)) {  // false at the end of input: the harness closed fd 3 (or died), so we exit
    const Json* id_field = f.header.get("id");
    Json id = id_field ? *id_field : Json(0);
    const Json* type_field = f.header.get("type");
    std::string type = type_field && type_field->type == Json::String ? type_field->text : "";
    try {
      if (type == "hello") {
        // VENDOR: frameworks names your software stack (runtime, compiler, firmware tools), name -> version
        write_frame(Json::object({{"type", "hello"}, {"id", id}, {"protocol", PROTOCOL},
                                  {"worker", Json::object({{"name", WORKER_NAME}, {"version", WORKER_VERSION}})},
                                  {"frameworks", Json::object({{"template-cpp-runtime", WORKER_VERSION}})}}));
      } else if (type == "discover") {
        std::vector<Json> list;
        for (const auto& d : DEVICES) list.push_back(Json::object({{"device", d}, {"fingerprint", fingerprint(d)}}));
        write_frame(Json::object({{"type", "devices"}, {"id", id}, {"devices", Json::array(list)}}));
      } else if (type == "open") {
        // the device the user passed to --device, or null for the default. VENDOR: claim the device here and not
        // earlier: the harness keeps a spare worker waiting after its hello, and only one process may hold the device.
        const Json* want = f.header.get("device");
        std::string name = !want || want->type == Json::Null ? DEVICES[0] : want->type == Json::String ? want->text : "";
        bool known = false;
        for (const auto& d : DEVICES) known = known || d == name;
        if (!known) {
          std::string all;
          for (const auto& d : DEVICES) all += (all.empty() ? "" : ", ") + d;
          throw Failure("invalid_device", (name.empty() ? std::string("that device") : name) + " does not exist (the template-cpp worker has " + all + ")");
        }
        device = name;
        write_frame(Json::object({{"type", "opened"}, {"id", id}, {"device", Json::object({{"device", device}, {"fingerprint", fingerprint(device)}})},
                                  {"capabilities", capabilities()}}));
      } else if (type == "exec") {
        if (device.empty()) throw Failure("bad_request", "exec before open");
        exec(id, f.header, f.body);
      } else if (type == "close") {
        // VENDOR: release the device here, so that the next worker can open it
        write_frame(Json::object({{"type", "closed"}, {"id", id}}));
        return 0;
      } else {
        // graph, bench (not offered in the capabilities) and request types of later protocol versions
        throw Failure("unsupported", "the template-cpp worker does not handle " + (type.empty() ? std::string("untyped") : type) + " requests");
      }
    } catch (const Failure& e) {
      reply_error(id, e.kind, e.what());
    } catch (const std::bad_alloc&) {
      reply_error(id, "out_of_memory", "the template-cpp device ran out of memory");
    } catch (const std::exception& e) {  // a bug costs one case, never the run
      reply_error(id, "runtime", e.what());
    }
  }
  return 0;
}
