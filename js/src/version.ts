/** The SDK's version. It matches js/package.json (the build checks this). */
export const VERSION = "0.1.0";
