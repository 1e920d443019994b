// A stock tus client (tus-js-client on Node) uploading one file to a tus 1.0 server, for
// tests/origin/stock_clients_test.cpp.
//
//   node upload.mjs ENDPOINT TOKEN FILE [--cut-after BYTES] [--title T] [--subject S]
//
// Uploads FILE in one PATCH (no chunkSize) with metadata title, filename and subject and the header
// "Authorization: Bearer TOKEN". With --cut-after, the upload is aborted (the connection is cut in
// the middle of the PATCH body) once onProgress reports at least BYTES; then a new tus.Upload with
// `uploadUrl` set to the first upload's URL resumes it, as a client does after a dropped link, and
// finishes it. The tus protocol is tus-js-client's throughout; only the cut upload's PATCH body goes
// out through PieceProgressHttpStack (below), so that the cut lands mid-body on loopback.
//
// Prints one JSON line: {"url": ..., "offset_at_resume": ..., "bytes": ...}, where
// offset_at_resume is the Upload-Offset the server answered the resuming HEAD with (null without
// --cut-after) and bytes is the Upload-Offset the server reports once the upload is done. Exits 1
// with the error on stderr on failure, 2 on bad usage.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { request as httpRequest } from 'node:http';
import { DefaultHttpStack, Upload } from 'tus-js-client';

function Usage(message) {
  process.stderr.write(`${message}\nusage: node upload.mjs ENDPOINT TOKEN FILE [--cut-after BYTES] ` +
                       '[--title T] [--subject S]\n');
  process.exit(2);
}

function ParseArgs(argv) {
  const positional = [];
  const args = { cutAfter: null, title: null, subject: '数学' };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--cut-after' || a === '--title' || a === '--subject') {
      if (i + 1 >= argv.length) Usage(`${a} needs a value`);
      const v = argv[++i];
      if (a === '--cut-after') {
        if (!/^[0-9]+$/.test(v) || Number(v) <= 0) Usage('--cut-after must be a positive byte count');
        args.cutAfter = Number(v);
      } else {
        args[a.slice(2)] = v;
      }
    } else if (a.startsWith('--')) {
      Usage(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 3) Usage('ENDPOINT, TOKEN and FILE are required');
  [args.endpoint, args.token, args.file] = positional;
  return args;
}

// The stock HTTP stack with one change, used only for the upload that gets cut: a body is written
// in 16 KiB pieces, each once the one before has been handed to the kernel, and progress is
// reported per piece written. The stock stack reports progress at most every 100 ms and counts bytes
// still queued in Node, so on loopback a cut "after half" would come after the last byte, or
// before the connection is even open. Every other request goes through the stock stack.
class PieceProgressHttpStack {
  constructor() {
    this.stock = new DefaultHttpStack();
  }
  createRequest(method, url) {
    return new PieceProgressRequest(this.stock.createRequest(method, url));
  }
  getName() {
    return 'PieceProgressHttpStack';
  }
}

class PieceProgressRequest {
  static kPieceBytes = 16 * 1024;

  constructor(stock) {
    this.stock = stock;
    this.headers = {};
    this.onProgress = () => {};
    this.request = null;
    this.aborted = false;
  }
  getMethod() { return this.stock.getMethod(); }
  getURL() { return this.stock.getURL(); }
  setHeader(name, value) {
    this.headers[name] = value;
    this.stock.setHeader(name, value);
  }
  getHeader(name) { return this.stock.getHeader(name); }
  setProgressHandler(handler) {
    this.onProgress = handler;
    this.stock.setProgressHandler(handler);
  }
  getUnderlyingObject() { return this.request ?? this.stock.getUnderlyingObject(); }

  send(body = null) {
    if (!(body instanceof Uint8Array)) return this.stock.send(body);
    return new Promise((resolve, reject) => {
      const url = new URL(this.getURL());
      const request = httpRequest(url, { method: this.getMethod(), headers: { ...this.headers } });
      this.request = request;
      request.on('response', (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve(new PieceProgressResponse(response, Buffer.concat(chunks).toString('utf8'))));
      });
      request.on('error', reject);
      let sent = 0;
      const writeNext = () => {
        if (this.aborted) return;
        if (sent >= body.length) {
          request.end();
          return;
        }
        const piece = body.subarray(sent, sent + PieceProgressRequest.kPieceBytes);
        request.write(piece, (error) => {
          if (error || this.aborted) return;
          sent += piece.length;
          this.onProgress(sent);  // may abort
          writeNext();
        });
      };
      writeNext();
    });
  }

  abort() {
    this.aborted = true;
    if (this.request !== null) this.request.destroy();
    return this.stock.abort();
  }
}

class PieceProgressResponse {
  constructor(response, body) {
    this.response = response;
    this.body = body;
  }
  getStatus() { return this.response.statusCode; }
  getHeader(name) { return this.response.headers[name.toLowerCase()]; }
  getBody() { return this.body; }
  getUnderlyingObject() { return this.response; }
}

// Runs one tus.Upload to its end: resolves with its URL on success, or with "aborted" once
// onProgress reached `cutAfter` and the upload was aborted.
function RunUpload(data, options, cutAfter) {
  return new Promise((resolve, reject) => {
    let upload = null;
    let cut = false;
    upload = new Upload(data, {
      ...options,
      onProgress(bytesUploaded) {
        if (cutAfter === null || cut || bytesUploaded < cutAfter) return;
        cut = true;
        upload.abort().then(() => resolve({ url: upload.url, aborted: true }), reject);
      },
      onSuccess() {
        if (!cut) resolve({ url: upload.url, aborted: false });
      },
      onError(error) {
        if (!cut) reject(error);
      },
    });
    upload.start();
  });
}

// The server's Upload-Offset for `url` (a HEAD request of our own).
async function ServerOffset(url, token) {
  const reply = await fetch(url, {
    method: 'HEAD',
    headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${token}` },
  });
  if (reply.status !== 200) throw new Error(`HEAD ${url}: HTTP ${reply.status}`);
  return Number(reply.headers.get('upload-offset'));
}

async function Main() {
  const args = ParseArgs(process.argv.slice(2));
  const data = readFileSync(args.file);
  const name = basename(args.file);
  const common = {
    metadata: { title: args.title ?? name, filename: name, subject: args.subject },
    headers: { Authorization: `Bearer ${args.token}` },
  };

  const first = await RunUpload(
      data,
      {
        ...common,
        endpoint: args.endpoint,
        ...(args.cutAfter !== null ? { httpStack: new PieceProgressHttpStack() } : {}),
      },
      args.cutAfter);
  if (!first.url) throw new Error('the server gave no upload URL');

  let offsetAtResume = null;
  if (first.aborted) {
    // The server learns of the cut when its socket closes, a moment after ours; until then its
    // HEAD reports the offset the cut PATCH started at. Wait (at most 5 s) for it to settle.
    for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
      if (await ServerOffset(first.url, args.token) > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Resume as a client does after a dropped link: a new Upload of the same bytes at the URL the
    // first one got. It asks the server for the offset (HEAD) and sends the rest from there.
    const resumed = await RunUpload(
        data,
        {
          ...common,
          uploadUrl: first.url,
          onAfterResponse(req, res) {
            if (req.getMethod() === 'HEAD' && offsetAtResume === null) {
              offsetAtResume = Number(res.getHeader('Upload-Offset'));
            }
          },
        },
        null);
    if (resumed.url !== first.url) throw new Error(`the resume went to ${resumed.url}, not ${first.url}`);
  }

  const bytes = await ServerOffset(first.url, args.token);
  if (bytes !== data.length) throw new Error(`the server has ${bytes} of ${data.length} bytes`);
  process.stdout.write(`${JSON.stringify({ url: first.url, offset_at_resume: offsetAtResume, bytes })}\n`);
}

Main().catch((error) => {
  process.stderr.write(`upload.mjs: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
