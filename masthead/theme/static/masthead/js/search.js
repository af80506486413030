/* Search-as-you-type for the header search box. */
