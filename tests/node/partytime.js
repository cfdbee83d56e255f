// Read podcast feeds with podcast-partytime (a Podcasting 2.0 parser) and print what it saw as
// JSON, one object per file, for the Python tests to judge. Usage: node partytime.js FILE...
"use strict";
const fs = require("fs");
const { parseFeed } = require("podcast-partytime");

const results = process.argv.slice(2).map((path) => {
  const feed = parseFeed(fs.readFileSync(path, "utf8"));
  if (!feed) {
    return { path, parsed: false };
  }
  return {
    path,
    parsed: true,
    title: feed.title,
    guid: feed.guid ?? null,
    locked: feed.locked ?? null,
    medium: feed.medium ?? null,
    license: feed.license ?? null,
    itunesBlock: feed.itunesBlock ?? null,
    podcastBlocked: feed.podcastBlocked ?? null,
    podcastOwner: feed.podcastOwner ?? null,
    self: feed.pubsub ? feed.pubsub.self ?? null : null,
    items: feed.items.map((item) => ({
      guid: item.guid,
      title: item.title,
      enclosure: item.enclosure ?? null,
      chapters: item.podcastChapters ?? null,
      transcripts: item.podcastTranscripts ?? null,
    })),
  };
});
// partytime logs to stdout (pino), so the results follow a marker line of their own.
process.stdout.write("\n@@partytime@@\n" + JSON.stringify(results, null, 1) + "\n");
