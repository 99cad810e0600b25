// Child for mod.test.ts: prints "ready <arg>" then waits to be killed, or exits at once when told "exit".
const arg = process.argv[2] ?? "";
if (arg === "exit") process.exit(3);
console.log(`ready ${arg}`);
setInterval(() => {}, 1000);
