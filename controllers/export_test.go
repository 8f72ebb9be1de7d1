package controllers

// StatusCoalescing is statusCoalescing, for the suites outside the package.
const StatusCoalescing = statusCoalescing
