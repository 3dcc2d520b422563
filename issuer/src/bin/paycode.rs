fn main() {
    println!("paycode");
}
