// Prints UserSigs made by Tencent's own generator (npm tls-sig-api-v2), one per line.
// usage: node gensig.js SDKAPPID KEY EXPIRE IDENTIFIER...
const TLSSigAPIv2 = require('tls-sig-api-v2');
const [sdkappid, key, expire, ...ids] = process.argv.slice(2);
const api = new TLSSigAPIv2.Api(Number(sdkappid), key);
for (const id of ids) console.log(api.genUserSig(id, Number(expire)));
