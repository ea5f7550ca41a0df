/**
 * Where the examples connect: from the environment, defaulting to the project's Kamailio test
 * server (`bash test-server/start.sh`). Point them at your own server with
 * XCAP_ROOT, XCAP_ID, XCAP_USERNAME, XCAP_PASSWORD (and SIP_PROXY for xcap-diff).
 */
export const config = {
  root: process.env.XCAP_ROOT ?? 'http://127.0.0.1:5080/xcap-root',
  id: process.env.XCAP_ID ?? 'sip:alice@example.com',
  username: process.env.XCAP_USERNAME ?? 'alice',
  password: process.env.XCAP_PASSWORD ?? 'alice-secret',
  sipProxy: process.env.SIP_PROXY ?? 'sip:127.0.0.1:5060;transport=tcp',
};
