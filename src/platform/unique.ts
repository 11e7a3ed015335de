// Names and tokens that no other process, and no other call of this one, can be using at the same
// time. Not secrets, so not from node:crypto, whose loading alone measured ~10 % of a bare node
// start: the pid tells processes apart, the monotonic clock and a counter tell calls apart.
let calls = 0;

/** A string unique on this host for as long as this process lives: `<pid>-<time>-<count>`. */
export const uniqueId = (): string => `${process.pid}-${process.hrtime.bigint().toString(36)}-${(++calls).toString(36)}`;
