// placeholder: being written
export const __placeholder_rng: i32 = 0;
