#!/usr/bin/env python3
"""A loopback server speaking the OpenAI speech protocol, for job's tests.

POST /v1/audio/speech with a JSON body {model, voice, input, response_format[, speed]} and
`Authorization: Bearer sk-test`. Answers a short WAV (a sine whose pitch depends on the text)
with an `x-request-id` header. Special voices: "busy" answers 429 to the first request for each
text, "broken" answers 500 once, "nope" answers 400 with an OpenAI-style error. Every request is
appended as one JSON line to the log file. Usage: fake_speech_server.py PORT_FILE LOG_FILE
"""
import http.server, io, json, math, os, struct, sys, threading, time, wave

port_file, log_file = sys.argv[1], sys.argv[2]
seen = set()
counter = [0]


def wav_bytes(text):
    rate, seconds = 16000, 0.5
    freq = 200 + (sum(text.encode()) % 400)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                      for i in range(int(rate * seconds)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate); w.writeframes(frames)
    return buf.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        counter[0] += 1
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("x-request-id", "vendor-%d" % counter[0])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message):
        self.answer(status, json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        with open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": request}) + "\n")
        if self.path != "/v1/audio/speech":
            return self.error(404, "no such endpoint")
        if self.headers.get("Authorization") != "Bearer sk-test":
            return self.error(401, "Incorrect API key provided")
        if not isinstance(request, dict) or not all(k in request for k in ("model", "voice", "input", "response_format")):
            return self.error(400, "model, voice, input and response_format are required")
        voice, text = request["voice"], request["input"]
        if voice == "nope":
            return self.error(400, "Voice 'nope' is not supported")
        if voice in ("busy", "broken") and (voice, text) not in seen:
            seen.add((voice, text))
            return self.error(429 if voice == "busy" else 500, "try again later")
        if request["response_format"] != "wav":
            return self.error(400, "this test server only makes wav")
        self.answer(200, wav_bytes(text), "audio/wav")


def watchdog(parent=os.getppid(), limit=300):
    """Ends the server when the test that started it is gone, or after `limit` seconds."""
    start = time.time()
    def check():
        while os.getppid() == parent and time.time() - start < limit:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=check, daemon=True).start()


# The test runner may start us with signals blocked; take the default ones back.
import signal
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
watchdog()
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
