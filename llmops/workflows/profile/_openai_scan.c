/*
 * Compiled fast path of `llmops profile` for OpenAI chat request/response records.
 *
 * scan(buf, start, end, sink) walks the lines of buf[start:end] and, for every line that is a
 * plainly shaped OpenAI record, does in C what the Python path does in many steps: validates the
 * JSON, reads the few fields `from_openai` reads, measures the last user message like
 * `measure_text`, and counts the call into the Python containers of the sink (the Tally's cells,
 * error types, latency histograms). It stops at the first line it declines and returns where that
 * line starts; the caller reads that line the generic way (orjson, sniff, extract), which stays
 * the reference. A line is declined whenever anything is unusual: not JSON, an escape in a key or
 * in a value turned into a category, a duplicate key, a type the fast path does not expect, a
 * number orjson would read differently, another format by the sniffing rules. Declining is always
 * safe; counting must give exactly what the Python path gives (tests/profile/test_native.py
 * checks both paths against each other on generated and hand-picked records).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DECLINE (-1)
#define FAIL (-2) /* a Python error is set */
#define MAX_DEPTH 256

/* ------------------------------------------------------------------ configuration */

#define MAX_STARTS 64
#define MAX_WORDS 64
static char code_starts[MAX_STARTS][24];
static Py_ssize_t code_start_len[MAX_STARTS];
static int n_code_starts = 0;
static unsigned char code_first[256]; /* first bytes of code starts */
static unsigned char informal_punct[256];
static Py_ssize_t informal_prefix_chars = 500;
static Py_ssize_t language_prefix_chars = 160;
static int configured = 0;

/* ------------------------------------------------------------------ byte classes */

/* 1 for bytes a JSON string holds verbatim and ASCII: 0x20..0x7f except '"' and '\\' */
static unsigned char plain_char[256];
/* ASCII whitespace as str.isspace() sees it */
static unsigned char ascii_space[256];

static void init_tables(void) {
    for (int i = 0; i < 256; i++) {
        plain_char[i] = (i >= 0x20 && i < 0x80 && i != '"' && i != '\\');
        ascii_space[i] = (i == ' ' || (i >= 0x09 && i <= 0x0d) || (i >= 0x1c && i <= 0x1f));
    }
}

#define ASCII_SPACE(c) \
    (((c) == ' ') | ((unsigned char)((c) - 0x09) <= 4) | ((unsigned char)((c) - 0x1c) <= 3))

static int is_space_cp(uint32_t cp) {
    if (cp < 0x80) return ascii_space[cp];
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Length of the valid UTF-8 sequence at p (non-ASCII lead), or 0 if invalid (overlong,
 * surrogate, beyond U+10FFFF, truncated), as Python's strict decoder judges it. */
static int utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    if (c >= 0xc2 && c <= 0xdf) {
        if (end - p < 2 || (p[1] & 0xc0) != 0x80) return 0;
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (end - p < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && p[1] < 0xa0) return 0;  /* overlong */
        if (c == 0xed && p[1] >= 0xa0) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (end - p < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
            (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90) return 0; /* overlong */
        if (c == 0xf4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

/* Code point of a valid sequence of n bytes. */
static uint32_t utf8_cp(const unsigned char *p, int n) {
    switch (n) {
    case 1: return p[0];
    case 2: return ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
    case 3: return ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    default:
        return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
               ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
    }
}

static int seq_len(unsigned char lead) {
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/* ------------------------------------------------------------------ JSON values */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} Cur;

enum { V_ABSENT = 0, V_NULL, V_FALSE, V_TRUE, V_INT, V_FLOAT, V_STR, V_ARR, V_OBJ };

typedef struct {
    int kind;
    long long i;             /* V_INT */
    double d;                /* V_FLOAT */
    const unsigned char *s;  /* V_STR: raw bytes between the quotes */
    Py_ssize_t n;
    int esc;                 /* V_STR: holds a backslash escape */
} Val;

static inline void skip_ws(Cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex4(const unsigned char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char h = p[k];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= (uint32_t)(h - '0');
        else if (h >= 'a' && h <= 'f') v |= (uint32_t)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= (uint32_t)(h - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* A string at c->p (on the opening quote): validated, its raw span in v. */
static int parse_string(Cur *c, Val *v) {
    const unsigned char *p = c->p + 1, *end = c->end;
    int esc = 0;
    v->s = p;
    for (;;) {
#if defined(__SSE2__)
        /* sixteen bytes at a time while none is a quote, a backslash, a control or non-ASCII
         * (as signed bytes, non-ASCII ones are below 0x20 too) */
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            unsigned mask = (unsigned)_mm_movemask_epi8(special);
            if (mask) {
                p += __builtin_ctz(mask);
                break;
            }
            p += 16;
        }
#endif
        while (p < end && plain_char[*p]) p++;
        if (p >= end) return DECLINE;
        unsigned char ch = *p;
        if (ch == '"') break;
        if (ch == '\\') {
            esc = 1;
            if (end - p < 2) return DECLINE;
            unsigned char e = p[1];
            if (e == 'u') {
                uint32_t u;
                if (end - p < 6 || !hex4(p + 2, &u)) return DECLINE;
                p += 6;
                if (u >= 0xdc00 && u <= 0xdfff) return DECLINE; /* lone low surrogate */
                if (u >= 0xd800 && u <= 0xdbff) {
                    uint32_t lo;
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) ||
                        lo < 0xdc00 || lo > 0xdfff)
                        return DECLINE;
                    p += 6;
                }
                continue;
            }
            if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                e == 'r' || e == 't') {
                p += 2;
                continue;
            }
            return DECLINE;
        }
        if (ch < 0x20) return DECLINE;
        /* non-ASCII: validate sequence after sequence, with the plain ASCII between them
         * (Cyrillic, CJK), until a run of ASCII long enough to go back to sixteen at a time */
        int ascii_run = 0;
        while (p < end && ascii_run < 8) {
            unsigned char b = *p;
            if (b < 0x80) {
                if (!plain_char[b]) break;
                ascii_run++;
                p++;
                continue;
            }
            int n = utf8_seq(p, end);
            if (!n) return DECLINE;
            p += n;
            ascii_run = 0;
        }
    }
    v->kind = V_STR;
    v->n = p - v->s;
    v->esc = esc;
    c->p = p + 1;
    return 0;
}

/* A number: V_INT when integral with at most 18 digits, V_FLOAT otherwise; anything orjson
 * would read as something else (huge integers, infinities) is declined. */
static int parse_number(Cur *c, Val *v) {
    const unsigned char *p = c->p, *start = c->p, *end = c->end;
    int integral = 1, digits = 0;
    if (p < end && *p == '-') p++;
    if (p >= end) return DECLINE;
    if (*p == '0') {
        p++;
        digits = 1;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    } else {
        return DECLINE;
    }
    if (p < end && *p == '.') {
        integral = 0;
        p++;
        if (p >= end || *p < '0' || *p > '9') return DECLINE;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return DECLINE;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    Py_ssize_t len = p - start;
    if (integral) {
        if (digits > 18) return DECLINE;
        long long value = 0;
        const unsigned char *q = start;
        int neg = *q == '-';
        if (neg) q++;
        for (; q < p; q++) value = value * 10 + (*q - '0');
        v->kind = V_INT;
        v->i = neg ? -value : value;
    } else {
        char tmp[64];
        if (len >= (Py_ssize_t)sizeof tmp) return DECLINE;
        memcpy(tmp, start, (size_t)len);
        tmp[len] = 0;
        double d = strtod(tmp, NULL);
        if (isinf(d)) return DECLINE;
        v->kind = V_FLOAT;
        v->d = d;
    }
    c->p = p;
    return 0;
}

static int skip_value(Cur *c, int depth);

static int literal(Cur *c, const char *word, Py_ssize_t n) {
    if (c->end - c->p < n || memcmp(c->p, word, (size_t)n) != 0) return DECLINE;
    c->p += n;
    return 0;
}

/* Any value at c->p (whitespace skipped): scalars are read into v, containers skipped. */
static int read_value(Cur *c, Val *v, int depth) {
    skip_ws(c);
    if (c->p >= c->end) return DECLINE;
    switch (*c->p) {
    case '"': return parse_string(c, v);
    case '{':
    case '[':
        v->kind = *c->p == '{' ? V_OBJ : V_ARR;
        return skip_value(c, depth);
    case 'n': v->kind = V_NULL; return literal(c, "null", 4);
    case 't': v->kind = V_TRUE; return literal(c, "true", 4);
    case 'f': v->kind = V_FALSE; return literal(c, "false", 5);
    default: return parse_number(c, v);
    }
}

/* A key the parser looks for, with its length (compared first, so most keys cost one test). */
typedef struct {
    const char *s;
    Py_ssize_t n;
} Key;
#define KEY(text) {text, sizeof(text) - 1}

/* Object iteration: call with c->p on '{'; each key is matched against `keys`. */
typedef struct {
    Cur *c;
    int first;
} ObjIter;

static int obj_begin(ObjIter *it, Cur *c) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '{') return DECLINE;
    c->p++;
    it->c = c;
    it->first = 1;
    return 0;
}

/* Next key: returns its index in keys, -1 for an unknown key, -2 at the end, DECLINE (-3)
 * on bad JSON or an escaped key. After a key, the caller reads or skips its value. */
#define OBJ_END (-2)
#define OBJ_BAD (-3)
static int obj_next(ObjIter *it, const Key *keys, int n_keys) {
    /* with no keys to match (a skipped object) an escaped key is fine */
    Cur *c = it->c;
    skip_ws(c);
    if (c->p >= c->end) return OBJ_BAD;
    if (*c->p == '}') {
        c->p++;
        return OBJ_END;
    }
    if (!it->first) {
        if (*c->p != ',') return OBJ_BAD;
        c->p++;
        skip_ws(c);
    }
    it->first = 0;
    Val k;
    if (c->p >= c->end || *c->p != '"' || parse_string(c, &k) || (k.esc && n_keys)) return OBJ_BAD;
    skip_ws(c);
    if (c->p >= c->end || *c->p != ':') return OBJ_BAD;
    c->p++;
    for (int i = 0; i < n_keys; i++) {
        if (keys[i].n == k.n && keys[i].s[0] == k.s[0] && memcmp(keys[i].s, k.s, (size_t)k.n) == 0)
            return i;
    }
    return -1;
}

/* Array iteration: arr_begin with c->p on '['; arr_next before each element answers 1 when
 * one follows (c->p on it), 0 at the end, DECLINE on bad JSON. */
typedef struct {
    Cur *c;
    int first;
} ArrIter;

static int arr_begin(ArrIter *it, Cur *c) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '[') return DECLINE;
    c->p++;
    it->c = c;
    it->first = 1;
    return 0;
}

static int arr_next(ArrIter *it) {
    Cur *c = it->c;
    skip_ws(c);
    if (c->p >= c->end) return DECLINE;
    if (*c->p == ']') { /* after a comma, the element parser meets it and declines: [1,] */
        c->p++;
        return 0;
    }
    if (!it->first) {
        if (*c->p != ',') return DECLINE;
        c->p++;
        skip_ws(c);
        if (c->p >= c->end) return DECLINE;
    }
    it->first = 0;
    return 1;
}

static int skip_value(Cur *c, int depth) {
    if (depth > MAX_DEPTH) return DECLINE;
    skip_ws(c);
    if (c->p >= c->end) return DECLINE;
    if (*c->p == '{') {
        ObjIter it;
        int k;
        obj_begin(&it, c);
        while ((k = obj_next(&it, NULL, 0)) == -1)
            if (skip_value(c, depth + 1)) return DECLINE;
        return k == OBJ_END ? 0 : DECLINE;
    }
    if (*c->p == '[') {
        ArrIter it;
        int more;
        arr_begin(&it, c);
        while ((more = arr_next(&it)) == 1)
            if (skip_value(c, depth + 1)) return DECLINE;
        return more;
    }
    Val v;
    return read_value(c, &v, depth);
}

static int str_is(const Val *v, const char *word) {
    Py_ssize_t n = (Py_ssize_t)strlen(word);
    return v->kind == V_STR && !v->esc && v->n == n && memcmp(v->s, word, (size_t)n) == 0;
}

/* ------------------------------------------------------------------ the record */

typedef struct {
    /* top level */
    int has_request, has_request_id, has_custom_id;
    Val top_error;
    Val status[3];  /* status, status_code, http_status */
    Val latency[2]; /* latency_ms, duration_ms */
    Val time[3];    /* timestamp, time, created_at */
    Val feature;
    /* request */
    int has_messages, has_max_tokens, has_system;
    int turns;
    int has_text;
    Val text; /* last user message content (a string; V_NULL for no text) */
    /* response */
    Val response; /* V_ABSENT, V_NULL or V_OBJ */
    int anthropic_type;
    Val resp_error; /* V_ABSENT, V_NULL or V_OBJ */
    Val err_code, err_type;
    Val model;
    Val usage_completion, usage_output;
    Val finish;
} Record;

static const Key TOP_KEYS[] = {
    KEY("request"),
    KEY("response"),
    KEY("error"),
    KEY("status"),
    KEY("status_code"),
    KEY("http_status"),
    KEY("latency_ms"),
    KEY("duration_ms"),
    KEY("timestamp"),
    KEY("time"),
    KEY("created_at"),
    KEY("feature"),
    KEY("custom_id"),
    KEY("llmops.request_id"),
};
#define N_TOP 14

static int read_once(Val *slot, Cur *c, int depth) {
    if (slot->kind != V_ABSENT) return DECLINE; /* duplicate key */
    return read_value(c, slot, depth);
}

/* An object whose scalar fields keys[i] are read into *slots[i] (each at most once), the rest
 * skipped. */
static int read_fields(Cur *c, const Key *keys, Val *const *slots, int n, int depth) {
    ObjIter it;
    if (obj_begin(&it, c)) return DECLINE;
    for (;;) {
        int k = obj_next(&it, keys, n);
        if (k == OBJ_END) return 0;
        if (k == OBJ_BAD) return DECLINE;
        if (k >= 0 ? read_once(slots[k], c, depth + 1) : skip_value(c, depth + 1)) return DECLINE;
    }
}

static int parse_message(Cur *c, Record *r, int depth) {
    static const Key keys[] = {KEY("role"), KEY("content"), KEY("parts")};
    Val role = {0}, content = {0}, parts = {0};
    Val *slots[] = {&role, &content, &parts};
    if (read_fields(c, keys, slots, 3, depth)) return DECLINE;
    if (role.kind == V_STR && role.esc) return DECLINE;
    if (!str_is(&role, "user")) return 0;
    r->turns++;
    if (content.kind == V_ABSENT && parts.kind != V_ABSENT) return DECLINE;
    if (content.kind == V_ARR || content.kind == V_OBJ) return DECLINE;
    r->has_text = 1;
    if (content.kind == V_STR) {
        r->text = content;
    } else { /* null, absent, a number or a bool: content_text gives "" */
        r->text.kind = V_NULL;
    }
    return 0;
}

static int parse_messages(Cur *c, Record *r, int depth) {
    ArrIter it;
    int more;
    if (arr_begin(&it, c)) return DECLINE;
    while ((more = arr_next(&it)) == 1) {
        if (*c->p == '{' ? parse_message(c, r, depth + 1) : skip_value(c, depth + 1))
            return DECLINE;
    }
    return more;
}

static int parse_request(Cur *c, Record *r, int depth) {
    static const Key keys[] = {KEY("messages"), KEY("max_tokens"), KEY("system")};
    int *seen[] = {&r->has_messages, &r->has_max_tokens, &r->has_system};
    ObjIter it;
    if (obj_begin(&it, c)) return DECLINE;
    for (;;) {
        int k = obj_next(&it, keys, 3);
        if (k == OBJ_END) return 0;
        if (k == OBJ_BAD || (k >= 0 && (*seen[k])++)) return DECLINE; /* bad, or a duplicate */
        if (k == 0 ? parse_messages(c, r, depth + 1) : skip_value(c, depth + 1)) return DECLINE;
    }
}

static int parse_error_obj(Cur *c, Record *r, int depth) {
    static const Key keys[] = {KEY("code"), KEY("type")};
    Val *slots[] = {&r->err_code, &r->err_type};
    return read_fields(c, keys, slots, 2, depth);
}

static int parse_usage(Cur *c, Record *r, int depth) {
    static const Key keys[] = {KEY("completion_tokens"), KEY("output_tokens")};
    Val *slots[] = {&r->usage_completion, &r->usage_output};
    return read_fields(c, keys, slots, 2, depth);
}

/* choices: the finish_reason of the first element when it is an object */
static int parse_finish(Cur *c, Record *r, int depth) {
    static const Key keys[] = {KEY("finish_reason")};
    Val *slots[] = {&r->finish};
    return read_fields(c, keys, slots, 1, depth);
}

static int parse_choices(Cur *c, Record *r, int depth) {
    ArrIter it;
    int more, index = 0;
    if (arr_begin(&it, c)) return DECLINE;
    while ((more = arr_next(&it)) == 1) {
        if (index++ == 0 && *c->p == '{' ? parse_finish(c, r, depth + 1)
                                         : skip_value(c, depth + 1))
            return DECLINE;
    }
    return more;
}

static int parse_response(Cur *c, Record *r, int depth) {
    static const Key keys[] = {KEY("error"), KEY("model"), KEY("usage"), KEY("choices"), KEY("type")};
    ObjIter it;
    int seen[5] = {0, 0, 0, 0, 0};
    if (obj_begin(&it, c)) return DECLINE;
    for (;;) {
        int k = obj_next(&it, keys, 5);
        if (k == OBJ_END) return 0;
        if (k == OBJ_BAD) return DECLINE;
        if (k >= 0 && seen[k]++) return DECLINE;
        skip_ws(c);
        if (c->p >= c->end) return DECLINE;
        unsigned char ch = *c->p;
        int rc;
        switch (k) {
        case 0: /* error: an object or null */
            if (ch == '{') {
                r->resp_error.kind = V_OBJ;
                rc = parse_error_obj(c, r, depth + 1);
            } else {
                rc = read_value(c, &r->resp_error, depth + 1);
                if (!rc && r->resp_error.kind != V_NULL) return DECLINE;
            }
            break;
        case 1: /* model: a string or null */
            rc = read_value(c, &r->model, depth + 1);
            if (!rc && r->model.kind != V_NULL && (r->model.kind != V_STR || r->model.esc))
                return DECLINE;
            break;
        case 2: /* usage: an object or null */
            if (ch == '{') {
                rc = parse_usage(c, r, depth + 1);
            } else {
                Val v;
                rc = read_value(c, &v, depth + 1);
                if (!rc && v.kind != V_NULL) return DECLINE;
            }
            break;
        case 3: /* choices: a list, else no finish reason */
            rc = ch == '[' ? parse_choices(c, r, depth + 1) : skip_value(c, depth + 1);
            break;
        case 4: { /* type: an Anthropic record says message or error */
            Val v;
            rc = read_value(c, &v, depth + 1);
            if (!rc && v.kind == V_STR) {
                if (v.esc) return DECLINE;
                r->anthropic_type = str_is(&v, "message") || str_is(&v, "error");
            }
            break;
        }
        default: rc = skip_value(c, depth + 1);
        }
        if (rc) return DECLINE;
    }
}

static int parse_record(Cur *c, Record *r) {
    ObjIter it;
    if (obj_begin(&it, c)) return DECLINE;
    for (;;) {
        int k = obj_next(&it, TOP_KEYS, N_TOP);
        if (k == OBJ_END) break;
        if (k == OBJ_BAD) return DECLINE;
        skip_ws(c);
        if (c->p >= c->end) return DECLINE;
        int rc;
        switch (k) {
        case 0:
            if (r->has_request++ || *c->p != '{') return DECLINE;
            rc = parse_request(c, r, 1);
            break;
        case 1:
            if (r->response.kind != V_ABSENT) return DECLINE;
            if (*c->p == '{') {
                r->response.kind = V_OBJ;
                rc = parse_response(c, r, 1);
            } else {
                rc = read_value(c, &r->response, 1);
                if (!rc && r->response.kind != V_NULL) return DECLINE;
            }
            break;
        case 2: rc = read_once(&r->top_error, c, 1); break;
        case 3: case 4: case 5: rc = read_once(&r->status[k - 3], c, 1); break;
        case 6: case 7: rc = read_once(&r->latency[k - 6], c, 1); break;
        case 8: case 9: case 10: rc = read_once(&r->time[k - 8], c, 1); break;
        case 11: rc = read_once(&r->feature, c, 1); break;
        case 12: r->has_custom_id = 1; rc = skip_value(c, 1); break;
        case 13: r->has_request_id = 1; rc = skip_value(c, 1); break;
        default: rc = skip_value(c, 1);
        }
        if (rc) return DECLINE;
    }
    skip_ws(c);
    return c->p == c->end ? 0 : DECLINE;
}

/* ------------------------------------------------------------------ text */

typedef struct {
    unsigned char *data;
    Py_ssize_t cap;
} Buf;

static Buf text_buf = {NULL, 0};

static int buf_reserve(Buf *b, Py_ssize_t n) {
    if (n <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 4096;
    while (cap < n) cap *= 2;
    unsigned char *data = PyMem_Realloc(b->data, (size_t)cap);
    if (!data) {
        PyErr_NoMemory();
        return FAIL;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static Py_ssize_t put_utf8(unsigned char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The UTF-8 text of a validated string value (escapes resolved); points into the line when
 * it has no escape, else into text_buf. */
static int string_text(const Val *v, const unsigned char **out, Py_ssize_t *n) {
    if (!v->esc) {
        *out = v->s;
        *n = v->n;
        return 0;
    }
    if (buf_reserve(&text_buf, v->n)) return FAIL; /* an escape never grows the text */
    unsigned char *o = text_buf.data;
    const unsigned char *p = v->s, *end = v->s + v->n;
    while (p < end) {
        const unsigned char *q = memchr(p, '\\', (size_t)(end - p));
        if (!q) q = end;
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        p = q;
        if (p >= end) break;
        unsigned char e = p[1];
        if (e == 'u') {
            uint32_t u;
            hex4(p + 2, &u);
            p += 6;
            if (u >= 0xd800 && u <= 0xdbff) {
                uint32_t lo;
                hex4(p + 2, &lo);
                p += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            o += put_utf8(o, u);
            continue;
        }
        unsigned char ch = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r'
                         : e == 't' ? '\t' : e;
        *o++ = ch;
        p += 2;
    }
    *out = text_buf.data;
    *n = o - text_buf.data;
    return 0;
}

typedef struct {
    long long chars, words, lines, tokens, informal;
    int has_code;
    double share;
} Measure;

static int code_start_at(const unsigned char *p, const unsigned char *end) {
    if (!code_first[*p]) return 0;
    for (int i = 0; i < n_code_starts; i++) {
        Py_ssize_t n = code_start_len[i];
        if (end - p >= n && memcmp(p, code_starts[i], (size_t)n) == 0) return 1;
    }
    return 0;
}

/* Marker words packed into integers (bytes little-end first, then the length) in a small
 * open-addressing table, so that a word is looked up with one or two comparisons. */
#define INFORMAL_SLOTS 256
static uint64_t informal_table[INFORMAL_SLOTS];

static unsigned informal_slot(uint64_t packed) {
    return (unsigned)((packed * 0x9e3779b97f4a7c15ULL) >> 56) & (INFORMAL_SLOTS - 1);
}

static uint64_t pack_word(const unsigned char *w, Py_ssize_t n) {
    uint64_t v = 0;
    for (Py_ssize_t i = 0; i < n; i++) v |= (uint64_t)w[i] << (8 * i);
    return v;
}

/* Bit (b0 | b1 << 8): some marker, bare or with its punctuation, starts with bytes b0 b1 (b1 is 0
 * for a one-letter word). Most words fail this test, which is cheaper than the table. */
static unsigned char informal_pairs[65536 / 8];
static Py_ssize_t informal_max_len = 0; /* the longest marker with its punctuation */

static void pair_add(unsigned b0, unsigned b1) {
    unsigned pair = b0 | (b1 << 8);
    informal_pairs[pair >> 3] |= (unsigned char)(1u << (pair & 7));
}

static int pair_may_start(uint64_t word) {
    unsigned pair = (unsigned)(word & 0xffff);
    return informal_pairs[pair >> 3] >> (pair & 7) & 1;
}

static void informal_add(uint64_t packed) {
    unsigned i = informal_slot(packed);
    while (informal_table[i] && informal_table[i] != packed) i = (i + 1) & (INFORMAL_SLOTS - 1);
    informal_table[i] = packed;
}

static int base_word(uint64_t packed) {
    for (unsigned i = informal_slot(packed); informal_table[i]; i = (i + 1) & (INFORMAL_SLOTS - 1))
        if (informal_table[i] == packed) return 1;
    return 0;
}

/* A word of n <= 7 bytes packed with its length in the top byte (so "k\0" is not "k") */
static uint64_t with_length(uint64_t packed, Py_ssize_t n) {
    return packed | ((uint64_t)n << 56);
}

/* A marker word of n bytes (packed), bare or followed by one punctuation mark ("thx!") */
static int informal_word(uint64_t packed, Py_ssize_t n) {
    if (base_word(with_length(packed, n))) return 1;
    if (n < 2 || !informal_punct[(packed >> (8 * (n - 1))) & 0xff]) return 0;
    return base_word(with_length(packed & ~(0xffULL << (8 * (n - 1))), n - 1));
}

/* Informal marker words among the first informal_prefix_chars characters: words split on
 * Unicode whitespace and lower-cased, as text[:500].lower().split() does. Only ASCII letters and
 * the Kelvin sign (which lower-cases to "k") can lower-case into an ASCII marker. */
static long long count_informal(const unsigned char *t, Py_ssize_t n) {
    uint64_t word = 0;
    Py_ssize_t wn = 0;
    int in_word = 0, plain = 1;
    long long count = 0;
    Py_ssize_t chars = 0;
    const unsigned char *p = t, *end = t + n;
    while (p < end && chars < informal_prefix_chars) {
        uint32_t cp = *p;
        int space;
        if (cp < 0x80) {
            p++;
            space = ASCII_SPACE(cp);
        } else {
            int len = seq_len(*p);
            cp = utf8_cp(p, len);
            p += len;
            space = is_space_cp(cp);
        }
        chars++;
        if (space) {
            if (in_word && plain && informal_word(word, wn)) count++;
            in_word = 0;
            continue;
        }
        if (!in_word) {
            in_word = 1;
            plain = 1;
            wn = 0;
            word = 0;
        }
        if (!plain) continue;
        unsigned char ch;
        if (cp < 0x80) ch = (unsigned char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        else if (cp == 0x212a) ch = 'k';
        else {
            plain = 0;
            continue;
        }
        if (wn >= 7) { /* longer than any marker with its punctuation */
            plain = 0;
            continue;
        }
        word |= (uint64_t)ch << (8 * wn++);
    }
    if (in_word && plain && informal_word(word, wn)) count++;
    return count;
}

/* Words as len(text.split()) counts them, code point by code point (any whitespace). */
static long long words_exact(const unsigned char *p, const unsigned char *end) {
    long long words = 0;
    int in_word = 0;
    while (p < end) {
        uint32_t cp = *p;
        if (cp < 0x80) {
            p++;
        } else {
            int len = seq_len(*p);
            cp = utf8_cp(p, len);
            p += len;
        }
        int space = is_space_cp(cp);
        words += !space & !in_word;
        in_word = !space;
    }
    return words;
}

/* Non-overlapping occurrences of the byte pair cc, as bytes.count(b"!!") counts them. */
static long long pair_count(const unsigned char *t, Py_ssize_t n, unsigned char c) {
    long long count = 0;
    const unsigned char *p = t, *end = t + n;
    while ((p = memchr(p, c, (size_t)(end - p))) != NULL) {
        const unsigned char *q = p;
        while (q < end && *q == c) q++;
        count += (q - p) / 2;
        p = q;
    }
    return count;
}

/* Whether some line, its leading whitespace stripped, starts with a code keyword. */
static int code_line(const unsigned char *t, Py_ssize_t n, int unicode_spaces) {
    const unsigned char *p = t, *end = t + n;
    while (p < end) {
        while (p < end && *p != '\n') { /* skip the indent */
            if (*p < 0x80) {
                if (!ASCII_SPACE(*p)) break;
                p++;
            } else if (unicode_spaces) {
                int len = seq_len(*p);
                if (!is_space_cp(utf8_cp(p, len))) break;
                p += len;
            } else {
                break;
            }
        }
        if (p < end && *p != '\n' && code_start_at(p, end)) return 1;
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p) return 0;
        p++;
    }
    return 0;
}

static int has_fence(const unsigned char *t, Py_ssize_t n) {
    const unsigned char *p = t, *end = t + n;
    while (end - p >= 3 && (p = memchr(p, '`', (size_t)(end - p - 2))) != NULL) {
        if (p[1] == '`' && p[2] == '`') return 1;
        p++;
    }
    return 0;
}

/* Byte-class counts of a text: continuation bytes, lead bytes (all, three-byte, four-byte),
 * newlines, semicolons, lead bytes of a non-ASCII space (C2, E1, E2, E3), and words as runs of
 * bytes that are not ASCII whitespace. */
typedef struct {
    Py_ssize_t cont, leads, three, four, newlines, semis, uspace, words;
    Py_ssize_t bangs, asks, ticks, lbraces, rbraces; /* ! ? ` { } */
} Classes;

static void classes_scalar(const unsigned char *t, Py_ssize_t from, Py_ssize_t n, int prev_space,
                           Classes *k) {
    for (Py_ssize_t i = from; i < n; i++) {
        unsigned char c = t[i];
        int space = ASCII_SPACE(c);
        k->cont += (c & 0xc0) == 0x80;
        k->leads += c >= 0xc0;
        k->three += (c & 0xf0) == 0xe0;
        k->four += c >= 0xf0;
        k->newlines += c == '\n';
        k->semis += c == ';';
        k->uspace += (c == 0xc2) | ((unsigned char)(c - 0xe1) <= 2);
        k->bangs += c == '!';
        k->asks += c == '?';
        k->ticks += c == '`';
        k->lbraces += c == '{';
        k->rbraces += c == '}';
        k->words += prev_space & !space;
        prev_space = space;
    }
}

#if defined(__SSE2__)
static int popcount16(unsigned v) {
    v = v - ((v >> 1) & 0x5555);
    v = (v & 0x3333) + ((v >> 2) & 0x3333);
    v = (v + (v >> 4)) & 0x0f0f;
    return (int)((v + (v >> 8)) & 0x1f);
}

/* 0xff in the lanes holding ASCII whitespace: space, 09-0D, 1C-1F */
static __m128i ascii_space16(__m128i v) {
    const __m128i x09 = _mm_set1_epi8(0x09), x0d = _mm_set1_epi8(0x0d);
    const __m128i x1c = _mm_set1_epi8(0x1c), x20 = _mm_set1_epi8(0x20);
    __m128i in_09_0d = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, x09), v),
                                     _mm_cmpeq_epi8(_mm_min_epu8(v, x0d), v));
    __m128i in_1c_20 = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, x1c), v),
                                     _mm_cmpeq_epi8(_mm_min_epu8(v, x20), v));
    return _mm_or_si128(in_09_0d, in_1c_20);
}

static unsigned space_mask16(const unsigned char *p) {
    return (unsigned)_mm_movemask_epi8(ascii_space16(_mm_loadu_si128((const __m128i *)p)));
}

static Py_ssize_t hsum(__m128i acc) {
    __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    return (Py_ssize_t)(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4));
}

/* Sixteen bytes at a time; the per-byte counters are summed in 8-bit lanes for up to 255
 * blocks, then folded into the totals. */
static void count_classes(const unsigned char *t, Py_ssize_t n, Classes *k) {
    memset(k, 0, sizeof *k);
    const __m128i c0 = _mm_set1_epi8((char)0xc0), x80 = _mm_set1_epi8((char)0x80);
    const __m128i f0 = _mm_set1_epi8((char)0xf0), e0 = _mm_set1_epi8((char)0xe0);
    const __m128i nl = _mm_set1_epi8('\n'), semi = _mm_set1_epi8(';');
    const __m128i c2 = _mm_set1_epi8((char)0xc2), e1 = _mm_set1_epi8((char)0xe1);
    const __m128i e3 = _mm_set1_epi8((char)0xe3);
    const __m128i bang = _mm_set1_epi8('!'), ask = _mm_set1_epi8('?'), tick = _mm_set1_epi8('`');
    const __m128i lb = _mm_set1_epi8('{'), rb = _mm_set1_epi8('}');
    Py_ssize_t i = 0;
    __m128i prev_space = _mm_set1_epi8((char)0xff); /* the text starts after a space */
    while (n - i >= 16) {
        __m128i a_cont = _mm_setzero_si128(), a_leads = a_cont, a_three = a_cont, a_four = a_cont;
        __m128i a_nl = a_cont, a_semi = a_cont, a_usp = a_cont, a_words = a_cont;
        __m128i a_bang = a_cont, a_ask = a_cont, a_tick = a_cont, a_lb = a_cont, a_rb = a_cont;
        for (int block = 0; block < 255 && n - i >= 16; block++, i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(t + i));
            a_cont = _mm_sub_epi8(a_cont, _mm_cmpeq_epi8(_mm_and_si128(v, c0), x80));
            a_leads = _mm_sub_epi8(a_leads, _mm_cmpeq_epi8(_mm_max_epu8(v, c0), v));
            a_three = _mm_sub_epi8(a_three, _mm_cmpeq_epi8(_mm_and_si128(v, f0), e0));
            a_four = _mm_sub_epi8(a_four, _mm_cmpeq_epi8(_mm_max_epu8(v, f0), v));
            a_nl = _mm_sub_epi8(a_nl, _mm_cmpeq_epi8(v, nl));
            a_semi = _mm_sub_epi8(a_semi, _mm_cmpeq_epi8(v, semi));
            __m128i in_e1_e3 = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, e1), v),
                                             _mm_cmpeq_epi8(_mm_min_epu8(v, e3), v));
            a_usp = _mm_sub_epi8(a_usp, _mm_or_si128(_mm_cmpeq_epi8(v, c2), in_e1_e3));
            a_bang = _mm_sub_epi8(a_bang, _mm_cmpeq_epi8(v, bang));
            a_ask = _mm_sub_epi8(a_ask, _mm_cmpeq_epi8(v, ask));
            a_tick = _mm_sub_epi8(a_tick, _mm_cmpeq_epi8(v, tick));
            a_lb = _mm_sub_epi8(a_lb, _mm_cmpeq_epi8(v, lb));
            a_rb = _mm_sub_epi8(a_rb, _mm_cmpeq_epi8(v, rb));
            /* a word starts at a non-space byte after a space byte */
            __m128i space = ascii_space16(v);
            __m128i before = _mm_or_si128(_mm_slli_si128(space, 1), _mm_srli_si128(prev_space, 15));
            a_words = _mm_sub_epi8(a_words, _mm_andnot_si128(space, before));
            prev_space = space;
        }
        k->cont += hsum(a_cont);
        k->leads += hsum(a_leads);
        k->three += hsum(a_three);
        k->four += hsum(a_four);
        k->newlines += hsum(a_nl);
        k->semis += hsum(a_semi);
        k->uspace += hsum(a_usp);
        k->words += hsum(a_words);
        k->bangs += hsum(a_bang);
        k->asks += hsum(a_ask);
        k->ticks += hsum(a_tick);
        k->lbraces += hsum(a_lb);
        k->rbraces += hsum(a_rb);
    }
    classes_scalar(t, i, n, i == 0 || ASCII_SPACE(t[i - 1]), k);
}
#else
static void count_classes(const unsigned char *t, Py_ssize_t n, Classes *k) {
    memset(k, 0, sizeof *k);
    classes_scalar(t, 0, n, 1, k);
}
#endif

/* Byte offset of the end of the first `limit` characters of valid UTF-8. */
static Py_ssize_t prefix_bytes(const unsigned char *t, Py_ssize_t n, Py_ssize_t limit) {
    if (n <= limit) return n;
    Py_ssize_t off = 0, chars = 0;
#if defined(__SSE2__)
    const __m128i c0 = _mm_set1_epi8((char)0xc0), x80 = _mm_set1_epi8((char)0x80);
    while (n - off >= 16 && chars + 16 <= limit) {
        __m128i v = _mm_loadu_si128((const __m128i *)(t + off));
        unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, c0), x80));
        chars += 16 - popcount16(cont);
        off += 16;
    }
    while (off < n && (t[off] & 0xc0) == 0x80) off++; /* finish a character split above */
#endif
    while (off < n && chars < limit) {
        off += seq_len(t[off]);
        chars++;
    }
    return off;
}

#define PREFIX_WORDS ((4 * 512 + 63) / 64 + 1)

/* count_informal for a text with no lead byte of a non-ASCII space: words are runs of bytes
 * that are not ASCII whitespace. A bit mask of the whitespace in the first characters gives the
 * word starts; only words of at most 7 bytes, all ASCII, can be markers. */
static long long count_informal_ascii_spaced(const unsigned char *t, Py_ssize_t n) {
    Py_ssize_t len = prefix_bytes(t, n, informal_prefix_chars);
    uint64_t mask[PREFIX_WORDS + 1];
    Py_ssize_t words = len / 64 + 1;
    if (words > PREFIX_WORDS) return -1;
    for (Py_ssize_t w = 0; w < words; w++) {
        uint64_t m = 0;
        Py_ssize_t b = 0;
#if defined(__SSE2__)
        for (; b < 64 && w * 64 + b + 16 <= len; b += 16)
            m |= (uint64_t)space_mask16(t + w * 64 + b) << b;
#endif
        for (; b < 64; b++) {
            Py_ssize_t i = w * 64 + b;
            unsigned char c = i < len ? t[i] : ' ';
            m |= (uint64_t)ASCII_SPACE(c) << b;
        }
        mask[w] = m;
    }
    mask[words] = ~0ULL;
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    long long count = 0;
    uint64_t carry = 1; /* the text starts after a space */
    for (Py_ssize_t w = 0; w < words; w++) {
        uint64_t m = mask[w];
        uint64_t starts = ~m & ((m << 1) | carry);
        carry = m >> 63;
        while (starts) {
            int b = __builtin_ctzll(starts);
            starts &= starts - 1;
            Py_ssize_t start = w * 64 + b;
            /* the space after the word: within 8 bytes, or the word is too long */
            uint64_t after = (mask[w] >> b) | (b ? mask[w + 1] << (64 - b) : 0);
            int wl = __builtin_ctzll(after | (1ULL << 8));
            if (wl > informal_max_len) continue;
            uint64_t x = 0;
            if (n - start >= 8) { /* one load, cut to the word */
                memcpy(&x, t + start, 8);
                x &= (1ULL << (8 * wl)) - 1;
            } else {
                memcpy(&x, t + start, (size_t)wl);
            }
            if (x & highs) continue; /* a non-ASCII character: no marker */
            uint64_t upper = (x + ones * 0x3f) & ~(x + ones * 0x25) & highs;
            x |= upper >> 2; /* A-Z to a-z */
            if (pair_may_start(x)) count += informal_word(x, wl);
        }
    }
    return count;
}

/* Whether the text holds a non-ASCII space (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000) or the Kelvin sign (U+212A, which lower-cases to "k"): the
 * characters for which ASCII-only word splitting and lower-casing would differ from Python's. */
static int has_exotic(const unsigned char *t, Py_ssize_t n) {
    static const unsigned char leads[] = {0xc2, 0xe1, 0xe2, 0xe3};
    for (int l = 0; l < 4; l++) {
        const unsigned char *p = t, *end = t + n;
        while ((p = memchr(p, leads[l], (size_t)(end - p))) != NULL) {
            Py_ssize_t left = end - p;
            int len = seq_len(*p);
            if (left >= len) {
                uint32_t cp = utf8_cp(p, len);
                if (is_space_cp(cp) || cp == 0x212a) return 1;
            }
            p++;
        }
    }
    return 0;
}

/* The measures of textprofile.measure_text, from valid UTF-8. Words and informal markers are
 * found from ASCII whitespace unless the text holds a non-ASCII space or the Kelvin sign; then
 * code point by code point. */
static void measure(const unsigned char *t, Py_ssize_t n, Measure *m) {
    Classes k;
    count_classes(t, n, &k);
    int exotic = k.uspace && has_exotic(t, n);
    long long chars = n - k.cont;
    m->chars = chars;
    m->words = exotic ? words_exact(t, t + n) : k.words;
    m->lines = chars ? k.newlines + 1 : 0;
    m->tokens = (chars + 2 * k.three + 3 * k.four + 3) / 4;
    m->has_code = (k.ticks >= 3 && has_fence(t, n)) ||
                  (k.semis >= 2 && k.lbraces && k.rbraces) || code_line(t, n, exotic);
    m->share = chars ? (double)k.leads / (double)chars : 0.0;
    long long informal = exotic ? -1 : count_informal_ascii_spaced(t, n);
    if (informal < 0) informal = count_informal(t, n);
    m->informal = informal + (k.bangs >= 2 ? pair_count(t, n, '!') : 0) +
                  (k.asks >= 2 ? pair_count(t, n, '?') : 0);
}

/* ------------------------------------------------------------------ time */

static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int digits(const unsigned char *p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

/* Epoch seconds of "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff][Z|+HH:MM|-HH:MM]" (naive = UTC), as
 * datetime.fromisoformat(...).timestamp() gives; 0 when the text has another shape. */
static int iso_time(const unsigned char *s, Py_ssize_t n, double *out) {
    int Y, M, D, h, mi, sec, us = 0, off = 0;
    if (n < 19 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return 0;
    Py_ssize_t i = 19;
    if (i < n && s[i] == '.') { /* 3 or 6 digits; other counts go to the Python path */
        Py_ssize_t d = 0;
        while (i + 1 + d < n && s[i + 1 + d] >= '0' && s[i + 1 + d] <= '9') d++;
        int frac;
        if (d == 6 && digits(s + i + 1, 6, &frac)) us = frac;
        else if (d == 3 && digits(s + i + 1, 3, &frac)) us = frac * 1000;
        else return 0;
        i += 1 + d;
    }
    if (i < n) {
        int oh, om;
        if (n - i == 1 && s[i] == 'Z') {
            i += 1;
        } else if (n - i == 6 && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2, &oh) &&
                   s[i + 3] == ':' && digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
            off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
            i += 6;
        } else {
            return 0;
        }
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (Y < 1700 || Y > 2200 || M < 1 || M > 12 || D < 1 ||
        D > mdays[M - 1] + (M == 2 && leap) || h > 23 || mi > 59 || sec > 59)
        return 0;
    long long seconds = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 +
                        mi * 60 + sec - off;
    *out = (double)(seconds * 1000000 + us) / 1e6;
    return 1;
}

/* ------------------------------------------------------------------ the sink */

typedef struct {
    PyObject *cells, *error_types, *latency, *models, *features;
    PyObject *ok_name, *failed_name; /* "ok", "failed": the latency histograms' names */
    PyObject *detect, *parse_time; /* callables; detect may be None */
    int sniffing, window;
    double since, until;
    int has_since, has_until;
    Py_ssize_t max_category, n_counters, ok_index, error_index;
    Py_ssize_t max_line;
    PyObject *other; /* "(other)" */
    /* what this call counted */
    long long records, outside, tokens_sum, tokens_n;
    int has_first;
    double first, last;
    /* one-entry caches of the last category strings seen */
    PyObject *model_obj, *feature_obj;
} Sink;

static PyObject *cached_str(PyObject **slot, const unsigned char *s, Py_ssize_t n) {
    if (*slot) {
        Py_ssize_t have;
        const char *bytes = PyUnicode_AsUTF8AndSize(*slot, &have);
        if (bytes && have == n && memcmp(bytes, s, (size_t)n) == 0) {
            Py_INCREF(*slot);
            return *slot;
        }
        Py_CLEAR(*slot);
    }
    PyObject *obj = PyUnicode_DecodeUTF8((const char *)s, n, "strict");
    if (!obj) return NULL;
    Py_INCREF(obj);
    *slot = obj;
    return obj;
}

/* _cap(value, seen): the value, or "(other)" once MAX_CATEGORY_VALUES others were seen */
static PyObject *cap(Sink *k, PyObject *value, PyObject *seen) {
    if (value == Py_None) return value;
    int has = PySet_Contains(seen, value);
    if (has < 0) return NULL;
    if (has) return value;
    if (PySet_GET_SIZE(seen) < k->max_category) {
        if (PySet_Add(seen, value) < 0) return NULL;
        return value;
    }
    return k->other;
}

/* A tuple of the n new references in items (all released when one is NULL or on failure). */
static PyObject *tuple_stealing(PyObject **items, Py_ssize_t n) {
    PyObject *tuple = NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!items[i]) goto fail;
    tuple = PyTuple_New(n);
    if (!tuple) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) PyTuple_SET_ITEM(tuple, i, items[i]);
    return tuple;
fail:
    for (Py_ssize_t i = 0; i < n; i++) Py_XDECREF(items[i]);
    return NULL;
}

static int bump(PyObject *list, Py_ssize_t i) {
    PyObject *old = PyList_GET_ITEM(list, i);
    long long v = PyLong_AsLongLong(old);
    if (v == -1 && PyErr_Occurred()) return FAIL;
    PyObject *nv = PyLong_FromLongLong(v + 1);
    if (!nv) return FAIL;
    PyList_SET_ITEM(list, i, nv);
    Py_DECREF(old);
    return 0;
}

static int dict_bump(PyObject *dict, PyObject *key) {
    PyObject *old = PyDict_GetItemWithError(dict, key);
    if (!old && PyErr_Occurred()) return FAIL;
    long long v = 0;
    if (old) {
        v = PyLong_AsLongLong(old);
        if (v == -1 && PyErr_Occurred()) return FAIL;
    }
    PyObject *nv = PyLong_FromLongLong(v + 1);
    if (!nv) return FAIL;
    int rc = PyDict_SetItem(dict, key, nv);
    Py_DECREF(nv);
    return rc < 0 ? FAIL : 0;
}

static int bit_length(long long v) {
    unsigned long long u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
    int b = 0;
    while (u) {
        b++;
        u >>= 1;
    }
    return b;
}

static const Val *first_present(const Val *vals, int n) {
    for (int i = 0; i < n; i++)
        if (vals[i].kind != V_ABSENT) return &vals[i];
    return NULL;
}

/* str(code or type or f"http_{status}") of an error object; NULL with no error set = decline */
static PyObject *error_kind(const Record *r, int has_status, long long status) {
    const Val *vals[2] = {&r->err_code, &r->err_type};
    for (int i = 0; i < 2; i++) {
        const Val *v = vals[i];
        if (v->kind == V_ABSENT || v->kind == V_NULL) continue;
        if (v->kind == V_STR) {
            if (v->esc) return NULL;
            if (v->n == 0) continue;
            return PyUnicode_DecodeUTF8((const char *)v->s, v->n, "strict");
        }
        if (v->kind == V_INT) {
            if (v->i == 0) continue;
            return PyUnicode_FromFormat("%lld", v->i);
        }
        return NULL; /* bools, floats, lists, objects: the Python path decides */
    }
    return has_status ? PyUnicode_FromFormat("http_%lld", status)
                      : PyUnicode_FromString("http_None");
}

#define FAIL_IF(cond) \
    do {              \
        if (cond) {   \
            rc = FAIL; \
            goto done; \
        }             \
    } while (0)

/* Count one line; 0 when counted, DECLINE or FAIL. */
static int count_line(Sink *k, const unsigned char *line, Py_ssize_t n) {
    Record r;
    memset(&r, 0, sizeof r);
    Cur c = {line, line + n};
    PyObject *kind = NULL, *model = NULL, *feature = NULL, *language = NULL, *key = NULL;
    int rc = 0;
    if (parse_record(&c, &r)) return DECLINE;
    if (!r.has_request || !r.has_messages || !r.has_text) return DECLINE;
    if (k->sniffing && (r.has_request_id || r.has_custom_id ||
                        (r.response.kind == V_OBJ ? r.anthropic_type
                                                  : r.has_max_tokens && r.has_system)))
        return DECLINE;
    if (r.top_error.kind != V_ABSENT && r.top_error.kind != V_NULL) return DECLINE;

    /* envelope */
    int has_status = 0;
    long long status = 0;
    const Val *v = first_present(r.status, 3);
    if (v && v->kind != V_NULL) {
        if (v->kind != V_INT) return DECLINE;
        has_status = 1;
        status = v->i;
    }
    int has_latency = 0;
    double latency_s = 0;
    v = first_present(r.latency, 2);
    if (v && v->kind != V_NULL) {
        if (v->kind == V_INT) latency_s = (double)v->i / 1000.0;
        else if (v->kind == V_FLOAT) latency_s = v->d / 1000.0;
        else return DECLINE;
        if (!(fabs(latency_s) < 1e12)) return DECLINE;
        has_latency = 1;
    }
    int has_time = 0;
    double when = 0;
    v = first_present(r.time, 3);
    if (v && (v->kind == V_INT || v->kind == V_FLOAT)) {
        double number = v->kind == V_INT ? (double)v->i : v->d;
        if (number > 0) {
            while (number > 1e11) number /= 1000.0;
            has_time = 1;
            when = number;
        }
    } else if (v && v->kind == V_STR) {
        if (!v->esc && iso_time(v->s, v->n, &when)) {
            has_time = 1;
        } else { /* another shape: the Python parse_time decides */
            const unsigned char *s;
            Py_ssize_t sn;
            if (string_text(v, &s, &sn)) return FAIL;
            PyObject *text = PyUnicode_DecodeUTF8((const char *)s, sn, "strict");
            if (!text) return FAIL;
            PyObject *t = PyObject_CallOneArg(k->parse_time, text);
            Py_DECREF(text);
            if (!t) return FAIL;
            if (t != Py_None) {
                when = PyFloat_AsDouble(t);
                has_time = 1;
            }
            Py_DECREF(t);
            if (has_time && when == -1.0 && PyErr_Occurred()) return FAIL;
        }
    } /* null, a bool, a list or an object: no time */

    if (r.feature.kind == V_STR) {
        if (r.feature.esc) return DECLINE;
    } else if (r.feature.kind != V_ABSENT && r.feature.kind != V_NULL &&
               r.feature.kind != V_INT) {
        return DECLINE;
    }

    /* outcome */
    int ok = 0;
    int has_tokens = 0;
    long long tokens = 0;
    if (r.response.kind != V_OBJ) {
        kind = PyUnicode_FromString("no_response");
        FAIL_IF(!kind);
    } else if (r.resp_error.kind == V_OBJ || (has_status && status >= 400)) {
        kind = error_kind(&r, has_status, status);
        if (!kind) {
            if (PyErr_Occurred()) return FAIL;
            return DECLINE;
        }
    } else {
        const Val *u = r.usage_completion.kind != V_ABSENT ? &r.usage_completion
                                                           : &r.usage_output;
        if (u->kind == V_INT) {
            if (u->i > (1LL << 40) || u->i < -(1LL << 40)) return DECLINE;
            has_tokens = 1;
            tokens = u->i;
        } else if (u->kind != V_ABSENT && u->kind != V_NULL) {
            return DECLINE;
        }
        const Val *f = &r.finish;
        if (f->kind == V_ABSENT || f->kind == V_NULL || str_is(f, "stop") ||
            str_is(f, "length") || str_is(f, "tool_calls") || str_is(f, "function_call")) {
            ok = 1;
        } else if (f->kind == V_STR && !f->esc) {
            kind = f->n ? PyUnicode_DecodeUTF8((const char *)f->s, f->n, "strict")
                        : PyUnicode_FromString("error");
            FAIL_IF(!kind);
        } else {
            return DECLINE;
        }
        if (r.model.kind == V_STR) {
            model = cached_str(&k->model_obj, r.model.s, r.model.n);
            FAIL_IF(!model);
        }
    }

    /* the time window */
    if (k->window && (!has_time || (k->has_since && when < k->since) ||
                      (k->has_until && when >= k->until))) {
        k->outside++;
        goto done;
    }

    /* the input */
    const unsigned char *text = (const unsigned char *)"";
    Py_ssize_t text_n = 0;
    if (r.text.kind == V_STR) FAIL_IF(string_text(&r.text, &text, &text_n));
    Measure m;
    measure(text, text_n, &m);
    if (k->detect != Py_None) {
        Py_ssize_t off = 0, chars = 0;
        while (off < text_n && chars < language_prefix_chars) {
            off += seq_len(text[off]);
            chars++;
        }
        PyObject *prefix = PyUnicode_DecodeUTF8((const char *)text, off, "strict");
        FAIL_IF(!prefix);
        language = PyObject_CallOneArg(k->detect, prefix);
        Py_DECREF(prefix);
        FAIL_IF(!language);
    } else {
        language = Py_None;
        Py_INCREF(language);
    }
    if (r.feature.kind == V_STR) {
        feature = cached_str(&k->feature_obj, r.feature.s, r.feature.n);
        FAIL_IF(!feature);
    } else if (r.feature.kind == V_INT) {
        feature = PyUnicode_FromFormat("%lld", r.feature.i);
        FAIL_IF(!feature);
    }

    /* the cell */
    PyObject *capped_model = cap(k, model ? model : Py_None, k->models);
    FAIL_IF(!capped_model);
    PyObject *capped_feature = cap(k, feature ? feature : Py_None, k->features);
    FAIL_IF(!capped_feature);
    double share = m.share;
    PyObject *items[] = {
        PyLong_FromLong(m.chars < 500 ? 0 : m.chars <= 2000 ? 1 : 2),
        PyLong_FromLong(bit_length(m.chars)),
        PyLong_FromLong(bit_length(m.words)),
        PyLong_FromLong(m.lines <= 1 ? 0 : m.lines <= 5 ? 1 : m.lines <= 20 ? 2 : 3),
        PyLong_FromLong(bit_length(m.tokens)),
        Py_NewRef(m.has_code ? Py_True : Py_False),
        Py_NewRef(language),
        PyLong_FromLong(share == 0 ? 0 : share <= 0.1 ? 1 : share <= 0.5 ? 2 : 3),
        PyLong_FromLong(m.informal == 0 ? 0 : m.informal <= 2 ? 1 : 2),
        PyLong_FromLong(r.turns <= 1 ? 0 : r.turns <= 5 ? 1 : r.turns <= 20 ? 2 : 3),
        Py_NewRef(capped_model),
        Py_NewRef(capped_feature),
    }; /* the key of Tally.add_measured; small ints are cached, so nothing is allocated */
    key = tuple_stealing(items, sizeof items / sizeof items[0]);
    FAIL_IF(!key);
    PyObject *cell = PyDict_GetItemWithError(k->cells, key);
    if (!cell) {
        FAIL_IF(PyErr_Occurred());
        cell = PyList_New(k->n_counters);
        FAIL_IF(!cell);
        for (Py_ssize_t i = 0; i < k->n_counters; i++) {
            PyObject *zero = PyLong_FromLong(0);
            if (!zero) {
                Py_DECREF(cell);
                rc = FAIL;
                goto done;
            }
            PyList_SET_ITEM(cell, i, zero);
        }
        int set = PyDict_SetItem(k->cells, key, cell);
        Py_DECREF(cell); /* the dict holds it */
        FAIL_IF(set < 0);
    }
    FAIL_IF(bump(cell, 0) || bump(cell, ok ? k->ok_index : k->error_index));
    if (!ok) {
        PyObject *name = kind;
        Py_INCREF(name);
        if (has_status && status >= 400) {
            Py_DECREF(name);
            name = PyUnicode_FromFormat("%U (%lld)", kind, status);
            FAIL_IF(!name);
        }
        int bumped = dict_bump(k->error_types, name);
        Py_DECREF(name);
        FAIL_IF(bumped);
    }
    if (has_latency && latency_s >= 0) {
        double ms = latency_s * 1000;
        if (!(ms < 9.2e18)) { /* int(ms) fits no C integer: cannot happen below 1e12 s */
            rc = FAIL;
            PyErr_SetString(PyExc_OverflowError, "latency out of range");
            goto done;
        }
        PyObject *name = ok ? k->ok_name : k->failed_name;
        PyObject *hist = PyDict_GetItemWithError(k->latency, name);
        if (!hist) { /* latency_ms_log2.setdefault(name, {}) */
            FAIL_IF(PyErr_Occurred());
            PyObject *empty = PyDict_New();
            FAIL_IF(!empty);
            hist = PyDict_SetDefault(k->latency, name, empty);
            Py_DECREF(empty);
        }
        FAIL_IF(!hist || !PyDict_Check(hist));
        PyObject *b = PyLong_FromLong(bit_length((long long)ms));
        FAIL_IF(!b);
        int bumped = dict_bump(hist, b);
        Py_DECREF(b);
        FAIL_IF(bumped);
    }
    if (has_tokens) {
        k->tokens_sum += tokens;
        k->tokens_n++;
    }
    if (has_time) {
        if (!k->has_first || when < k->first) k->first = when;
        if (!k->has_first || when > k->last) k->last = when;
        k->has_first = 1;
    }
    k->records++;
done:
    Py_XDECREF(kind);
    Py_XDECREF(model);
    Py_XDECREF(feature);
    Py_XDECREF(language);
    Py_XDECREF(key);
    return rc;
}

/* ------------------------------------------------------------------ module functions */

static int as_bool_attr(PyObject *obj, const char *name, int *out) {
    PyObject *v = PyObject_GetAttrString(obj, name);
    if (!v) return -1;
    *out = PyObject_IsTrue(v);
    Py_DECREF(v);
    return *out < 0 ? -1 : 0;
}

static int as_ssize_attr(PyObject *obj, const char *name, Py_ssize_t *out) {
    PyObject *v = PyObject_GetAttrString(obj, name);
    if (!v) return -1;
    *out = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static int as_time_attr(PyObject *obj, const char *name, int *has, double *out) {
    PyObject *v = PyObject_GetAttrString(obj, name);
    if (!v) return -1;
    *has = v != Py_None;
    if (*has) *out = PyFloat_AsDouble(v);
    Py_DECREF(v);
    return *has && *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *get_attr(PyObject *obj, const char *name) {
    return PyObject_GetAttrString(obj, name);
}

PyDoc_STRVAR(scan_doc,
"scan(buf, start, end, sink) -> (stop, lines)\n\n"
"Count the OpenAI records among the lines of buf[start:end] into sink until a line is\n"
"declined. ``stop`` is where the declined line starts (``end`` when none was), ``lines`` how\n"
"many lines were counted or skipped before it.\n"
"The sink's ``records``, ``outside``, ``tokens`` and ``times`` attributes are updated.");

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, end;
    PyObject *sink_obj;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*nnO", &view, &start, &end, &sink_obj)) return NULL;
    Sink k;
    memset(&k, 0, sizeof k);
    PyObject *result = NULL;
    if (start < 0 || end > view.len || start > end) {
        PyErr_SetString(PyExc_ValueError, "range out of bounds");
        goto out;
    }
    if (!(k.cells = get_attr(sink_obj, "cells")) ||
        !(k.error_types = get_attr(sink_obj, "error_types")) ||
        !(k.latency = get_attr(sink_obj, "latency")) ||
        !(k.ok_name = PyUnicode_FromString("ok")) ||
        !(k.failed_name = PyUnicode_FromString("failed")) ||
        !(k.models = get_attr(sink_obj, "models")) ||
        !(k.features = get_attr(sink_obj, "features")) ||
        !(k.detect = get_attr(sink_obj, "detect")) ||
        !(k.parse_time = get_attr(sink_obj, "parse_time")) ||
        !(k.other = get_attr(sink_obj, "other")) ||
        as_bool_attr(sink_obj, "sniffing", &k.sniffing) ||
        as_ssize_attr(sink_obj, "max_category", &k.max_category) ||
        as_ssize_attr(sink_obj, "n_counters", &k.n_counters) ||
        as_ssize_attr(sink_obj, "ok_index", &k.ok_index) ||
        as_ssize_attr(sink_obj, "error_index", &k.error_index) ||
        as_ssize_attr(sink_obj, "max_line", &k.max_line) ||
        as_time_attr(sink_obj, "since", &k.has_since, &k.since) ||
        as_time_attr(sink_obj, "until", &k.has_until, &k.until))
        goto out;
    if (!PyDict_Check(k.cells) || !PyDict_Check(k.error_types) || !PyDict_Check(k.latency) || !PySet_Check(k.models) || !PySet_Check(k.features) ||
        k.n_counters <= k.ok_index || k.n_counters <= k.error_index || k.ok_index < 0 ||
        k.error_index < 0) {
        PyErr_SetString(PyExc_TypeError, "sink has the wrong shape");
        goto out;
    }
    k.window = k.has_since || k.has_until;
    const unsigned char *buf = view.buf;
    Py_ssize_t pos = start, lines = 0;
    int rc = 0;
    while (pos < end) {
        const unsigned char *nl = memchr(buf + pos, '\n', (size_t)(end - pos));
        Py_ssize_t stop = nl ? nl - buf : end;
        Py_ssize_t len = stop - pos;
        if (len > k.max_line) break;
        rc = count_line(&k, buf + pos, len);
        if (rc == FAIL) goto out;
        if (rc == DECLINE) break;
        lines++;
        pos = nl ? stop + 1 : end;
    }
    /* write back what this call counted */
    if (k.records || k.outside) {
        PyObject *vals[5];
        vals[0] = PyLong_FromLongLong(k.records);
        vals[1] = PyLong_FromLongLong(k.outside);
        vals[2] = PyLong_FromLongLong(k.tokens_sum);
        vals[3] = PyLong_FromLongLong(k.tokens_n);
        vals[4] = k.has_first ? Py_BuildValue("(dd)", k.first, k.last) : (Py_INCREF(Py_None), Py_None);
        int bad = 0;
        for (int i = 0; i < 5; i++) bad |= vals[i] == NULL;
        if (!bad) {
            PyObject *r = PyObject_CallMethod(sink_obj, "add_counts", "OOOOO", vals[0],
                                              vals[1], vals[2], vals[3], vals[4]);
            bad = r == NULL;
            Py_XDECREF(r);
        }
        for (int i = 0; i < 5; i++) Py_XDECREF(vals[i]);
        if (bad) {
            if (!PyErr_Occurred()) PyErr_NoMemory();
            goto out;
        }
    }
    result = Py_BuildValue("(nn)", pos, lines);
out:
    PyBuffer_Release(&view);
    Py_XDECREF(k.cells);
    Py_XDECREF(k.error_types);
    Py_XDECREF(k.latency);
    Py_XDECREF(k.ok_name);
    Py_XDECREF(k.failed_name);
    Py_XDECREF(k.models);
    Py_XDECREF(k.features);
    Py_XDECREF(k.detect);
    Py_XDECREF(k.parse_time);
    Py_XDECREF(k.other);
    Py_XDECREF(k.model_obj);
    Py_XDECREF(k.feature_obj);
    return result;
}

PyDoc_STRVAR(configure_doc,
"configure(code_starts, informal_words, informal_punct, informal_prefix, language_prefix)\n\n"
"Set the text rules of textprofile (tuples of bytes, bytes, and the two prefix lengths).");

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *starts, *words;
    Py_buffer punct;
    Py_ssize_t informal_prefix, language_prefix;
    if (!PyArg_ParseTuple(args, "O!O!y*nn", &PyTuple_Type, &starts, &PyTuple_Type, &words,
                          &punct, &informal_prefix, &language_prefix))
        return NULL;
    PyObject *result = NULL;
    if (PyTuple_GET_SIZE(starts) > MAX_STARTS || PyTuple_GET_SIZE(words) > MAX_WORDS) {
        PyErr_SetString(PyExc_ValueError, "too many code starts or informal words");
        goto out;
    }
    memset(code_first, 0, sizeof code_first);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(starts); i++) {
        PyObject *b = PyTuple_GET_ITEM(starts, i);
        if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) < 1 ||
            PyBytes_GET_SIZE(b) >= (Py_ssize_t)sizeof code_starts[0]) {
            PyErr_SetString(PyExc_ValueError, "a code start must be 1-23 bytes");
            goto out;
        }
        memcpy(code_starts[i], PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
        code_start_len[i] = PyBytes_GET_SIZE(b);
        code_first[(unsigned char)PyBytes_AS_STRING(b)[0]] = 1;
    }
    n_code_starts = (int)PyTuple_GET_SIZE(starts);
    memset(informal_table, 0, sizeof informal_table);
    memset(informal_pairs, 0, sizeof informal_pairs);
    informal_max_len = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(words); i++) {
        PyObject *b = PyTuple_GET_ITEM(words, i);
        if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) < 1 ||
            PyBytes_GET_SIZE(b) > 6) {
            PyErr_SetString(PyExc_ValueError, "an informal word must be 1-6 bytes");
            goto out;
        }
        informal_add(with_length(
            pack_word((const unsigned char *)PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b)),
            PyBytes_GET_SIZE(b)));
        const unsigned char *w = (const unsigned char *)PyBytes_AS_STRING(b);
        if (PyBytes_GET_SIZE(b) == 1) {
            pair_add(w[0], 0);
            for (Py_ssize_t j = 0; j < punct.len; j++)
                pair_add(w[0], ((unsigned char *)punct.buf)[j]);
        } else {
            pair_add(w[0], w[1]);
        }
        if (PyBytes_GET_SIZE(b) + 1 > informal_max_len) informal_max_len = PyBytes_GET_SIZE(b) + 1;
    }

    memset(informal_punct, 0, sizeof informal_punct);
    for (Py_ssize_t i = 0; i < punct.len; i++) informal_punct[((unsigned char *)punct.buf)[i]] = 1;
    informal_prefix_chars = informal_prefix;
    language_prefix_chars = language_prefix;
    configured = 1;
    result = Py_None;
    Py_INCREF(result);
out:
    PyBuffer_Release(&punct);
    return result;
}

PyDoc_STRVAR(measure_doc,
"measure(text) -> (chars, words, lines, tokens, has_code, share, informal)\n\n"
"The text measures of textprofile.measure_text (without the language), from UTF-8 bytes.");

static PyObject *py_measure(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    const unsigned char *p = view.buf, *end = p + view.len;
    while (p < end) { /* measure() trusts its input: check it is UTF-8 first */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (x & 0x8080808080808080ULL) break;
            p += 8;
        }
        if (p >= end) break;
        int n = *p < 0x80 ? 1 : utf8_seq(p, end);
        if (!n) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "not valid UTF-8");
            return NULL;
        }
        p += n;
    }
    Measure m;
    measure(view.buf, view.len, &m);
    PyBuffer_Release(&view);
    return Py_BuildValue("(LLLLOdL)", m.chars, m.words, m.lines, m.tokens,
                         m.has_code ? Py_True : Py_False, m.share, m.informal);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {"configure", configure, METH_VARARGS, configure_doc},
    {"measure", py_measure, METH_VARARGS, measure_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_openai_scan",
    .m_doc = "Compiled fast path of llmops profile for OpenAI request/response records.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__openai_scan(void) {
    init_tables();
    return PyModule_Create(&module);
}
