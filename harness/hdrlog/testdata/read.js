// Reads an HdrHistogram interval log with HdrHistogram's JavaScript port
// (hdr-histogram-js) and prints, per tag, the intervals, the total count
// and the interval starts, as JSON: what TestHdrHistogramJSReadsTheLog
// compares with what rpcbench wrote.
const hdr = require("hdr-histogram-js");
const text = require("fs").readFileSync(process.argv[2], "utf8");
const reader = new hdr.HistogramLogReader(text);
const tags = {};
for (let h; (h = reader.nextIntervalHistogram()) !== null; ) {
  const t = (tags[h.tag || "untagged"] ??= { count: 0, starts: [], max: 0 });
  t.count += h.totalCount;
  t.starts.push(h.startTimeStampMsec);
  t.max = Math.max(t.max, h.maxValue);
}
console.log(JSON.stringify(tags));
