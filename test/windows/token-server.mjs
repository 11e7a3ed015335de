// A token service for the Windows lane: every POST is answered with one Octopia-shaped token whose
// JWT is 4,096 characters by default (more than the 1,280 one Credential Manager entry holds), GET
// /count with how many tokens were handed out.
// Usage: node token-server.mjs <port-file> [<JWT length>] (the port is written to the file).
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";

const part = (text) => Buffer.from(text).toString("base64url");
const head = `${part('{"alg":"RS256","typ":"JWT"}')}.`;
const length = Number(process.argv[3] ?? 4096);
const token = `${head}${part(JSON.stringify({ azp: "lane", pad: "x".repeat(length) }))}`.slice(0, length - 13) + ".c2lnbmF0dXJl";
let issued = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    if (req.method === "GET" && req.url === "/count") return void res.end(String(issued));
    issued++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ access_token: token, expires_in: 7200, token_type: "Bearer" }));
  });
});
server.listen(0, "127.0.0.1", () => writeFileSync(process.argv[2], String(server.address().port)));
