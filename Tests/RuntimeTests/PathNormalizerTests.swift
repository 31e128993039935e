import Runtime
import XCTest
