/** Where the version goes in the pre-rendered root help (it names the platform and node of the run). */
export const VERSION_PLACEHOLDER = '\u0000VERSION\u0000'
