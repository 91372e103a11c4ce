// Preloaded with `node --require` into a child process: prints the process's peak resident set
// size on exit, so a test can bound what an import allocated whatever its input declared.
process.on('exit', () => {
  process.stderr.write(`\nmax_rss_kb=${process.resourceUsage().maxRSS}\n`)
})
